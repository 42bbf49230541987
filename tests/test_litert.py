"""Running and timing .tflite files with LiteRT: both APIs, thread counts, the GPU
accelerator (or the reason it cannot run here), on real MNIST test images."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras.acceleration import export, gpu, litert, timing

GPU_REASONS = ("no Vulkan loader", "no adapter", "accelerator not found", "GPU compilation failed")


@pytest.fixture(scope="module")
def data():
    return lk.data.load("mnist-mini")


@pytest.fixture(scope="module")
def tflite(data):
    model = lk.models.lenet_300_100(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data.train, batch_size=60, epochs=1, verbose=0)
    return model, export.to_tflite(model)


@pytest.mark.parametrize("batch", [1, 7])
def test_interpreter_and_compiled_model_agree_with_keras(tflite, data, batch):
    model, exported = tflite
    x = data.test[0][:batch]
    expected = model.predict(x, verbose=0)
    for api in litert.APIS:
        runner = litert.load(exported, api=api)
        assert runner.input_shape == (28, 28)
        out = runner(x)
        assert out.shape == (batch, 10)
        np.testing.assert_allclose(out, expected, atol=1e-5)


def test_predict_in_batches_with_two_threads_and_builtin_kernels(tflite, data):
    model, exported = tflite
    x = data.test[0][:1000]
    expected = model.predict(x, verbose=0)
    for kwargs in ({"threads": 2}, {"api": "compiled", "threads": 2}, {"kernels": "builtin"}):
        got = litert.predict(exported, x, batch_size=300, **kwargs)
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=str(kwargs))


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


def test_time_runners_interleaves_and_reports_medians(tflite, data):
    _, exported = tflite
    runners = {"interpreter": litert.load(exported), "compiled": litert.load(exported, api="compiled")}
    times = timing.time_runners(runners, data.test[0][:1], repeats=3, number=20)
    assert set(times) == {"interpreter", "compiled"}
    for t in times.values():
        assert len(t.all_s) == 3 and t.batch == 1
        assert 0 < t.median_s < 0.1 and t.median_us == pytest.approx(1e6 * t.median_s)


def test_bad_input_is_refused_clearly(tflite, data):
    _, exported = tflite
    with pytest.raises(ValueError, match=">= 1"):
        litert.load(exported, threads=0)
    with pytest.raises(TypeError, match="threads"):
        litert.load(exported, threads=1.5)
    with pytest.raises(ValueError, match="unknown LiteRT api"):
        litert.load(exported, api="tf")
    with pytest.raises(ValueError, match="unknown accelerator"):
        litert.load(exported, accelerator="tpu")
    with pytest.raises(ValueError, match="unknown kernels"):
        litert.load(exported, kernels="fast")
    with pytest.raises(ValueError, match="api='compiled'"):
        litert.load(exported, accelerator="gpu")
    with pytest.raises(ValueError, match="TFL3"):
        litert.load(b"definitely not a flatbuffer")
    with pytest.raises(TypeError, match="tflite"):
        litert.load(12)
    runner = litert.load(exported)
    with pytest.raises(ValueError, match=r"\(batch, 28, 28\)"):
        runner(np.zeros((2, 784), np.float32))
    with pytest.raises(ValueError, match="repeats"):
        timing.time_runners({"r": runner}, data.test[0][:1], repeats=0)
    with pytest.raises(ValueError, match="batch_size"):
        litert.predict(runner, data.test[0][:4], batch_size=0)
