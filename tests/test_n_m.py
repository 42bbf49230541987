"""N:M (2:4) sparsity: the pattern checker on hand-made kernels, and TF-MOT 2:4 training
of LeNet-300-100 on the bundled MNIST subset (wrapper and Ticket routes)."""

import numpy as np
import pytest
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_utils

import lottery_keras as lk
from lottery_keras import keras, tf
from lottery_keras.acceleration import export
from lottery_keras.pruning import n_m as nm


@pytest.fixture(scope="module")
def data(mnist_3000):
    return mnist_3000


def test_checker_groups_along_the_input_axis():
    # Dense kernel [C_IN=8, C_OUT=2]: column 0 holds 2 nonzeros in rows 0-3 and 2 in rows 4-7
    kernel = np.zeros((8, 2), np.float32)
    kernel[[0, 3, 4, 5], 0] = 1.0
    kernel[[1, 2, 6, 7], 1] = -2.0
    result = nm.check(kernel)
    assert result.ok and result.groups == 4 and result.violations == 0 and result.density == 0.5
    kernel[1, 0] = 0.5  # a third nonzero in the first group of column 0
    assert nm.check(kernel).violations == 1 and not nm.check(kernel)
    # 2:4 along the output axis is not 2:4 along the input axis
    wrong_axis = np.zeros((8, 4), np.float32)  # every row [1, 1, 0, 0]: 2:4 along C_OUT only
    wrong_axis[:, :2] = 1.0
    assert not nm.check(wrong_axis).ok and nm.check(wrong_axis.T).ok


def test_checker_pads_partial_groups_and_handles_conv_kernels():
    kernel = np.zeros((6, 1), np.float32)  # groups: rows 0-3, then rows 4-5 (+2 padding)
    kernel[[4, 5], 0] = 1.0
    assert nm.check(kernel).groups == 2 and nm.check(kernel).ok
    assert not nm.check(kernel, (3, 4)).ok  # 1:4 allows one nonzero per group
    conv = np.zeros((3, 3, 4, 2), np.float32)  # [H, W, C_IN, C_OUT]: groups along C_IN
    conv[1, 1, :2, 0] = 1.0
    assert nm.check(conv).ok and nm.check(conv).groups == 3 * 3 * 2
    conv[1, 1, 2, 0] = 1.0
    assert nm.check(conv).violations == 1


def test_checker_agrees_with_tf_mot():
    rng = np.random.default_rng(0)
    for shape in [(16, 8), (3, 3, 8, 4)]:
        for keep in (0.4, 0.5, 0.7):
            kernel = (rng.normal(size=shape) * (rng.random(shape) < keep)).astype(np.float32)
            assert nm.check(kernel).ok == pruning_utils.is_pruned_m_by_n(tf.constant(kernel))


def test_bad_patterns_are_refused():
    with pytest.raises(ValueError, match="0 < m < n"):
        nm.check(np.zeros((4, 4)), (4, 2))
    with pytest.raises(TypeError, match="pair of ints"):
        nm.check(np.zeros((4, 4)), (2,))
    with pytest.raises(TypeError, match="pair of ints"):
        nm.masks({"a": np.zeros((4, 4))}, (2.0, 4))
    with pytest.raises(ValueError, match="Dense"):
        nm.check(np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match="update_every"):
        nm.wrap(lk.models.lenet_300_100(), update_every=0)


def test_tf_mot_2_4_training_gives_a_2_4_model_that_exports(data):
    wrapped = nm.wrap(lk.models.lenet_300_100(seed=0), (2, 4), update_every=50)
    wrapped.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    wrapped.fit(*data[0], batch_size=60, epochs=1, verbose=0, callbacks=nm.callbacks())
    model = nm.strip(wrapped)
    checks = nm.check_model(model)
    assert set(checks) == {"dense_300", "dense_100", "output"}
    assert all(c.ok and c.density == pytest.approx(0.5) for c in checks.values())
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(*data[1], verbose=0)[1] > 0.8
    sparse = export.to_tflite(model, format="sparse")
    assert len(sparse.sparse_tensors()) == 3
    assert export.verify(sparse, model, *data[1]).max_abs_diff < 1e-5


def test_ticket_with_2_4_masks_keeps_the_pattern_through_training(data):
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
    t.prune(0.2)  # an earlier unstructured round: 2:4 masks only shrink it further
    before = t.masks
    t.set_masks(nm.masks(t.kernels(), (2, 4), current=before))
    assert all(np.all(t.masks[n] <= before[n]) for n in before)
    t.fit(*data[0], batch_size=60, epochs=1, verbose=0, seed=0)
    assert all(c.ok for c in nm.check_model(t).values())
    assert t.remaining().overall <= 0.5
