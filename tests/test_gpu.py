"""LiteRT's GPU accelerator (lottery_keras.acceleration.gpu): it runs, or the reason it cannot
run here is one clear line, from the checks and from LiteRT's native log."""

import numpy as np
import pytest

from lottery_keras.acceleration import gpu, litert

GPU_REASONS = ("no Vulkan loader", "no adapter", "accelerator not found", "GPU compilation failed")


@pytest.fixture(scope="module")
def data(mnist_mini):
    return mnist_mini


def test_gpu_accelerator_runs_or_says_exactly_why_not(tflite, data):
    model, exported = tflite
    status = gpu.gpu_status()
    if not status:
        assert status.reason.startswith(GPU_REASONS), status.reason
        with pytest.raises(litert.AcceleratorUnavailable) as err:
            litert.load(exported, api="compiled", accelerator="gpu")
        assert str(err.value).startswith(GPU_REASONS)
        return
    try:
        runner = litert.load(exported, api="compiled", accelerator="gpu")
    except litert.AcceleratorUnavailable as err:  # a driver present but unusable: still explained
        assert str(err).startswith(GPU_REASONS)
        return
    x = data.test[0][:16]
    np.testing.assert_allclose(runner(x), model.predict(x, verbose=0), atol=1e-2)


def test_gpu_failure_log_is_explained():
    log = ("INFO: [delegate_webgpu.cc:342] Create WebGPU environment\n"
           "ERROR: [delegate_webgpu.cc:359] Failed to initialize WebGPU environment: INTERNAL: No adapters found\n")
    assert gpu.explain_gpu_failure(log).startswith("no adapter")
    assert gpu.explain_gpu_failure("ERROR: something else\n") == "GPU compilation failed: ERROR: something else"
