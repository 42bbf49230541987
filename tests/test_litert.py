"""Running .tflite files with LiteRT (lottery_keras.acceleration.litert): both APIs, thread
counts, kernels, on real MNIST test images."""

import numpy as np
import pytest

from lottery_keras.acceleration import litert, timing


@pytest.fixture(scope="module")
def data(mnist_mini):
    return mnist_mini


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
