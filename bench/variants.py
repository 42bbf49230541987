"""The trained model variants the sparse-inference benchmarks compare, built one way for all.

Shared by ``bench/bench_sparse.py`` (CPU timings here) and ``bench/gpu/prepare.py`` (the
``.tflite`` files carried to a GPU machine), so both measure the same models: a dense
ticket trained on mnist-mini (batch 60, seed 0), then from its weights

* unstructured: one-shot layer-wise magnitude pruning, output layer at half the rate (as
  in the LTH paper), 1 epoch of fine-tuning with the masks fixed;
* structured: the same share of hidden units pruned by L2 norm, 1 epoch of fine-tuning;
* 2:4: TF-MOT ``sparsity_m_by_n=(2, 4)``, 1 epoch from the trained weights;

plus the XNNPACK-pattern MobileNet (2 dense epochs, then 80% of its 1x1 weights pruned, 2 epochs).
Tickets come back unstripped (callers want ``remaining()`` and ``strip()``); the others as plain models.
"""

from __future__ import annotations

LEARNING_RATE = 1.2e-3
BATCH = 60


def ticket(model, weights=None):
    """A compiled Ticket of `model` (Adam, sparse categorical cross-entropy), with `weights` if given."""
    import lottery_keras as lk
    from lottery_keras import keras

    t = lk.Ticket(model)
    t.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    if weights is not None:
        t.model.set_weights(weights)
    return t


def trained(data, model_fn, epochs: int = 2):
    """A dense Ticket of ``model_fn(seed=0)`` trained `epochs` epochs on ``data.train``."""
    t = ticket(model_fn(seed=0))
    t.fit(*data.train, batch_size=BATCH, epochs=epochs, verbose=0, seed=0)
    return t


def unstructured(weights, data, sparsity: float, model_fn):
    """Ticket from trained ticket `weights` (``ticket.model.get_weights()``), `sparsity` of each
    layer's weights pruned by magnitude (the output layer's at half the rate) and fine-tuned
    1 epoch; unpruned when sparsity is 0."""
    t = ticket(model_fn(seed=0), weights)
    if sparsity > 0:
        layers = list(t.masks)
        t.prune({name: sparsity / 2 if name == layers[-1] else sparsity for name in layers})
        t.fit(*data.train, batch_size=BATCH, epochs=1, verbose=0, seed=1)
    return t


def structured(weights, data, fraction: float, model_fn):
    """Ticket from trained `weights` with `fraction` of every hidden layer's units pruned by
    L2 norm (:func:`lottery_keras.pruning.units.prune_units`), fine-tuned 1 epoch."""
    from lottery_keras.pruning import units

    t = ticket(model_fn(seed=0), weights)
    units.prune_units(t, fraction)
    t.fit(*data.train, batch_size=BATCH, epochs=1, verbose=0, seed=1)
    return t


def two_four(weights, data, model_fn):
    """Plain model, every Dense/Conv2D kernel 2:4 sparse (TF-MOT, mask updated every 50
    steps), trained 1 epoch from `weights` (of the plain model: ``ticket.strip().get_weights()``)."""
    from lottery_keras import keras
    from lottery_keras.pruning import n_m

    model = model_fn(seed=0)
    model.set_weights(weights)
    wrapped = n_m.wrap(model, (2, 4), update_every=50)
    wrapped.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy")
    wrapped.fit(*data.train, batch_size=BATCH, epochs=1, verbose=0, callbacks=n_m.callbacks())
    return n_m.strip(wrapped)


def xnnpack_mobilenet(data, sparsity: float = 0.8):
    """Plain XNNPACK-pattern MobileNet: 2 dense epochs (pruning 80% from step 0 stalls it),
    then `sparsity` of its 1x1 weights pruned under TF-MOT's XNNPACK policy, 2 epochs."""
    import tensorflow_model_optimization as tfmot

    from lottery_keras import keras
    from lottery_keras.acceleration import export
    from lottery_keras.acceleration import xnnpack_model as xs

    keras.utils.set_random_seed(0)
    dense_model = xs.mobilenet_tiny(seed=0)
    dense_model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    dense_model.fit(*data.train, batch_size=64, epochs=2, verbose=0)
    wrapped = xs.prune_for_xnnpack(dense_model, sparsity, frequency=20)
    wrapped.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    wrapped.fit(*data.train, batch_size=64, epochs=2, verbose=0,
                callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    return export.plain_model(wrapped)
