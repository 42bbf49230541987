"""The MobileNet-style model in XNNPACK's sparse-inference pattern: TF-MOT's
PruneForLatencyOnXNNPack accepts it, prunes its 1x1 convolutions, and it exports sparse."""

import numpy as np
import pytest
import tensorflow_model_optimization as tfmot
from tensorflow_model_optimization.python.core.sparsity.keras.pruning_wrapper import PruneLowMagnitude

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.acceleration import export, litert, timing
from lottery_keras.acceleration import xnnpack_model as xs


@pytest.fixture(scope="module")
def data(mnist_mini):
    return mnist_mini


def test_policy_accepts_the_model_and_wraps_only_pointwise_convs():
    wrapped = xs.prune_for_xnnpack(xs.mobilenet_tiny(seed=0), 0.8)
    pruned = [w.layer.name for w in wrapped.layers
              if isinstance(w, PruneLowMagnitude) and w.pruning_vars]
    assert pruned == ["pw1", "pw2", "pw3"]


def test_policy_refuses_a_model_outside_the_pattern_and_low_sparsity():
    with pytest.raises(ValueError, match="Conv2D 3x3"):
        xs.prune_for_xnnpack(lk.models.conv2(seed=0), 0.8)
    with pytest.raises(ValueError, match="2/3"):
        xs.prune_for_xnnpack(xs.mobilenet_tiny(), 0.5)
    with pytest.raises(ValueError, match="width"):
        xs.mobilenet_tiny(width=0)


def test_pruned_model_exports_sparse_and_runs_the_same(data):
    (x, y), test = data.train, data.test
    wrapped = xs.prune_for_xnnpack(xs.mobilenet_tiny(seed=0, width=16), 0.8, frequency=20)
    wrapped.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    wrapped.fit(x[:2000], y[:2000], batch_size=64, epochs=1, verbose=0,
                callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    model = export.plain_model(wrapped)
    for name in ("pw1", "pw2", "pw3"):
        kernel = model.get_layer(name).kernel.numpy()
        assert 1 - np.count_nonzero(kernel) / kernel.size == pytest.approx(0.8, abs=0.01)
    sparse = export.to_tflite(model, format="sparse")
    assert len(sparse.sparse_tensors()) == 3
    check = export.verify(sparse, model, *test)
    assert check.max_abs_diff < 1e-5 and check.agreement == 1.0
    times = timing.time_runners({"dense": litert.load(export.to_tflite(model)), "sparse": litert.load(sparse)},
                                test[0][:1], repeats=3)
    assert all(t.median_s > 0 for t in times.values())


def test_sparse_inference_expectation_names_the_cpu():
    expected, why = xs.sparse_inference_expected()
    assert isinstance(expected, bool) and "CPU" in why
    if "avx" in xs._cpu_flags():
        assert not expected and "AVX" in why
