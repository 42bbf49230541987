"""TFLite export of real tickets (LeNet-300-100 trained on the bundled MNIST subset):
dense, sparse and quantised files, their sizes, and their outputs against Keras."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.acceleration import export, litert


@pytest.fixture(scope="module")
def data(mnist_mini):
    return mnist_mini


@pytest.fixture(scope="module")
def ticket(data):
    """LeNet-300-100, one epoch on mnist-mini, then 80% of each layer pruned (output 40%)."""
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    t.fit(*data.train, batch_size=60, epochs=1, verbose=0, seed=0)
    t.prune({"dense_300": 0.8, "dense_100": 0.8, "output": 0.4})
    return t


@pytest.fixture(scope="module")
def dense(ticket):
    return export.to_tflite(ticket)


@pytest.fixture(scope="module")
def sparse(ticket):
    return export.to_tflite(ticket, format="sparse")


def test_dense_export_matches_keras_on_the_test_set(dense, ticket, data):
    check = export.verify(dense, ticket, *data.test)
    assert check.n == len(data.test[0])
    assert check.max_abs_diff < 1e-5
    assert check.agreement == 1.0
    assert check.tflite_accuracy == check.keras_accuracy > 0.5
    assert dense.sparse_tensors() == []


def test_sparse_export_is_smaller_and_still_exact(sparse, dense, ticket, data):
    assert len(sparse.sparse_tensors()) == 3  # all three kernels stored sparsely
    assert sparse.operators().count("DENSIFY") == 3 and "DENSIFY" not in dense.operators()
    assert dense.operators().count("FULLY_CONNECTED") == 3
    assert sparse.raw_bytes < 0.4 * dense.raw_bytes
    assert sparse.gzip_bytes < dense.gzip_bytes
    limit = export.information_limit(ticket)
    assert sparse.gzip_bytes < 1.3 * limit, (sparse.gzip_bytes, limit)
    check = export.verify(sparse, ticket, *data.test)
    assert check.max_abs_diff < 1e-5 and check.agreement == 1.0


def test_information_limit_of_an_unpruned_model_is_its_float32_weights():
    model = lk.models.lenet_300_100(seed=0)
    assert export.information_limit(model) == pytest.approx(4 * model.count_params())
    assert export.information_limit(model, value_bits=8) == pytest.approx(model.count_params())
    assert export.fixed_width_bound(model) == export.information_limit(model)  # new name, same


def test_sparse_format_leaves_an_unpruned_model_dense():
    model = lk.models.lenet_300_100(seed=0)
    assert export.to_tflite(model, format="sparse").sparse_tensors() == []


def test_dynamic_range_and_float16_quantisation(ticket, dense, data):
    int8 = export.to_tflite(ticket, quantize="dynamic")
    assert int8.raw_bytes < 0.3 * dense.raw_bytes
    check = export.verify(int8, ticket, *data.test)
    assert check.max_abs_diff < 0.05 and check.agreement > 0.98
    assert abs(check.tflite_accuracy - check.keras_accuracy) < 0.01
    half = export.to_tflite(ticket, quantize="float16")
    assert 0.45 < half.raw_bytes / dense.raw_bytes < 0.55
    assert export.verify(half, ticket, *data.test).max_abs_diff < 1e-2


def test_sparse_int8_runs_on_builtin_kernels_and_xnnpack_refusal_says_so(ticket, data):
    both = export.to_tflite(ticket, format="sparse", quantize="dynamic")
    with pytest.raises(RuntimeError, match="kernels='builtin'"):
        litert.load(both)
    check = export.verify(both, ticket, *data.test, kernels="builtin")
    assert check.agreement > 0.98


def test_save_writes_a_loadable_file(dense, tmp_path, data):
    path = dense.save(tmp_path / "out" / "lenet.tflite")
    assert path.stat().st_size == dense.raw_bytes
    x = data.test[0][:5]
    assert np.array_equal(litert.predict(path, x), litert.predict(dense, x))


def test_export_accepts_ticket_wrapped_model_and_plain_model_alike(ticket, dense):
    wrapped = export.to_tflite(ticket.model)
    plain = export.to_tflite(ticket.strip())
    assert wrapped.raw_bytes == plain.raw_bytes == dense.raw_bytes


def test_bad_input_is_refused_clearly(ticket, dense, data):
    with pytest.raises(ValueError, match="unknown format 'csr'"):
        export.to_tflite(ticket, format="csr")
    with pytest.raises(ValueError, match="unknown quantize 'int4'"):
        export.to_tflite(ticket, quantize="int4")
    broken = ticket.strip()
    kernel = broken.get_layer("dense_100").kernel
    kernel.assign(np.where(np.arange(kernel.shape[1]) == 3, np.nan, kernel.numpy()).astype(np.float32))
    with pytest.raises(ValueError, match="NaN"):
        export.to_tflite(broken)
    with pytest.raises(TypeError, match="tf_keras"):
        export.to_tflite("model.h5")
    with pytest.raises(ValueError, match="value_bits"):
        export.information_limit(ticket, value_bits=0)
    x, y = data.test
    with pytest.raises(ValueError, match="at least one example"):
        export.verify(dense, ticket, x[:0])
    with pytest.raises(ValueError, match="labels"):
        export.verify(dense, ticket, x[:10], y[:9])
