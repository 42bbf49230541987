#!/usr/bin/env bash
# HERE (where TensorFlow is): make everything the GPU run carries, in three ignored folders.
#   .gpu/  models (.tflite), mnist-mini test images, CPU reference outputs, 2:4 kernels (prepare.py)
#   .whl/  wheels the GPU machine lacks (its image has JAX, PyTorch, numpy, h5py, rich, ... but
#          neither LiteRT nor Keras 3): ai-edge-litert, keras, namex, optree, for CPython 3.12 x86-64
#   .gl/   the Vulkan loader (libvulkan1 .deb) LiteRT's GPU accelerator needs
# Then, on the GPU machine: carry .gpu .whl .gl and run `bash bench/gpu/run.sh` (docs/acceleration.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

python bench/gpu/prepare.py --out .gpu "$@"

version() { python -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$1"; }
rm -rf .whl && mkdir -p .whl
for dist in ai-edge-litert keras namex optree; do
  python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$dist==$(version "$dist")"
done

rm -rf .gl && mkdir -p .gl /tmp/amd64/partial
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${apt_opts[@]}" update -qq
(cd .gl && apt-get "${apt_opts[@]}" download libvulkan1 2>&1 | grep -v "unsandboxed" || true)
ls .gl/*.deb >/dev/null
du -sh .gpu .whl .gl
