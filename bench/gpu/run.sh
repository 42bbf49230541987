#!/usr/bin/env bash
# THERE (a machine with an NVIDIA GPU, no TensorFlow): the GPU benchmark, in one call, < 10 minutes.
# Needs .gpu .whl .gl carried from `bash bench/gpu/prepare.sh`. Writes $OUT/gpu.json (and
# gpu_log.txt), or bench/results/gpu.json when OUT is unset. Without a GPU: one line, exit 0.
set -uo pipefail
cd "$(dirname "$0")/../.."
bench=bench/gpu/gpu_bench.py

line=$(python3 "$bench" detect)
rc=$?
echo "$line"
if [ "$rc" -eq 3 ]; then exit 0; fi   # no GPU: said so in one line
if [ "$rc" -ne 0 ]; then exit "$rc"; fi

# Vulkan loader for LiteRT's GPU accelerator, when the machine has none.
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$icd
fi

# Wheels carried in .whl, only those whose package the machine lacks (its own versions win).
need=()
for w in .whl/*.whl; do
  [ -e "$w" ] || continue
  dist=$(basename "$w" | cut -d- -f1)
  python3 -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$dist" 2>/dev/null || need+=("$w")
done
if [ "${#need[@]}" -gt 0 ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "${need[@]}" || exit 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
python3 "$bench" all "$@"
