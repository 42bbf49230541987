"""Every bad input gets one clear error, and nothing is half-changed after it."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras


def _ticket():
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return t


def _unchanged(t, masks, kernels):
    assert all(np.array_equal(t.masks[n], masks[n]) for n in masks)
    assert all(np.array_equal(t.kernels()[n], kernels[n]) for n in kernels)


def test_keras3_model_is_refused_by_the_tf_mot_ticket_with_advice():
    import keras as keras3  # Keras 3, installed with TensorFlow

    from lottery_keras.ticket import Ticket as TFMOTTicket

    model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(2)])
    with pytest.raises(TypeError, match=r"Keras 3.*tf_keras.*lk\.Ticket"):
        TFMOTTicket(model)
    assert type(lk.Ticket(model)).__module__ == "lottery_keras.keras3.ticket"  # lk.Ticket takes the Keras 3 path


def test_subclassed_model_is_refused_with_advice():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    net(np.zeros((1, 4), np.float32))
    with pytest.raises(TypeError, match=r"subclassed.*Sequential or functional"):
        lk.Ticket(net)


def test_non_model_and_model_without_prunable_layers():
    with pytest.raises(TypeError, match=r"tf_keras\.Model"):
        lk.Ticket("lenet")
    flat = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="no Dense or Conv2D"):
        lk.Ticket(flat)


def test_nan_weights_are_refused():
    model = lk.models.lenet_300_100()
    kernel = model.get_layer("dense_100").kernel
    kernel.assign(np.where(np.arange(kernel.shape[1]) == 0, np.nan, kernel.numpy()))
    with pytest.raises(ValueError, match=r"dense_100.*NaN"):
        lk.Ticket(model)


@pytest.mark.parametrize("fraction", [-0.2, 1.0, 2])
def test_bad_fraction_leaves_ticket_untouched(fraction):
    t = _ticket()
    t.prune(0.3)
    masks, kernels = t.masks, t.kernels()
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        t.prune(fraction)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        t.prune({"dense_300": 0.2, "dense_100": fraction})
    _unchanged(t, masks, kernels)


def test_bad_masks_are_refused_and_nothing_is_half_set():
    t = _ticket()
    masks, kernels = t.masks, t.kernels()
    good = {n: np.zeros_like(m) for n, m in masks.items()}
    wrong_shape = dict(good, output=np.ones((10, 100)))
    with pytest.raises(ValueError, match="'output' has shape"):
        t.set_masks(wrong_shape)
    not_binary = dict(good, output=np.full((100, 10), 0.5))
    with pytest.raises(ValueError, match="only 0 and 1"):
        t.set_masks(not_binary)
    with pytest.raises(ValueError, match="exactly the prunable layers"):
        t.set_masks({"dense_300": good["dense_300"]})
    _unchanged(t, masks, kernels)


def test_bad_scope_criterion_rewind_and_empty_data():
    t = _ticket()
    with pytest.raises(ValueError, match="unknown scope"):
        t.prune(0.2, scope="per-neuron")
    with pytest.raises(ValueError, match="unknown pruning criterion"):
        t.prune(0.2, criterion="hessian")
    with pytest.raises(ValueError, match="no snapshot '500it'"):
        t.rewind("500it")
    with pytest.raises(ValueError, match="rewind point must be"):
        t.rewind("yesterday")
    with pytest.raises(ValueError, match="empty training data"):
        t.fit(np.zeros((0, 28, 28), np.float32), np.zeros((0,), np.int64))
    with pytest.raises(ValueError, match="rewind point must be"):
        t.fit(np.zeros((1, 28, 28), np.float32), np.zeros((1,), np.int64), rewind_point="-5it")


def test_fit_before_compile_says_what_to_do():
    t = lk.Ticket(lk.models.lenet_300_100())
    with pytest.raises(RuntimeError, match="compile"):
        t.fit(np.zeros((1, 28, 28), np.float32), np.zeros((1,), np.int64))
