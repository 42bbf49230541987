"""`Ticket` for Keras 3 models (JAX, TensorFlow or PyTorch backend): the API and semantics
of :class:`lottery_keras.ticket.Ticket`, without TF-MOT.

The model is rebuilt with masked layers (:mod:`lottery_keras.keras3.layers`): each mask is
a non-trainable variable and the effective kernel is ``kernel * mask`` (pruned entries
kept at 0, gradients masked), so training needs no per-step callback. Masks change only
between fits. Nothing here imports TensorFlow: on the JAX backend a ticket runs without it.
"""

from __future__ import annotations

import math
import random
import warnings

import keras
import numpy as np

from lottery_keras._ticket_common import TicketCommon, fresh_optimizer
from lottery_keras.keras3 import layers as masked
from lottery_keras.keras3 import saving, weights
from lottery_keras.pruning import masks as masks_lib
from lottery_keras.pruning import rewind_point


def _steps(optimizer) -> int:
    return int(keras.ops.convert_to_numpy(optimizer.iterations.value))


def _seed(seed: int) -> None:
    """Seed Python, numpy (JAX's data order) and, off JAX, the backend (which on JAX would import TensorFlow)."""
    if keras.backend.backend() == "jax":
        random.seed(seed)
        np.random.seed(seed)
    else:
        keras.utils.set_random_seed(seed)


def _build_loss(model, x, y) -> None:
    """Build a freshly compiled model's loss and metrics from one example. Otherwise Keras
    builds them from a first batch of the shuffled data, which draws a data permutation
    from the seed that fit does not use: the data order would depend on whether the model
    was compiled since the last fit."""
    build = getattr(model, "_symbolic_build", None)
    if build is not None and hasattr(x, "__getitem__") and hasattr(y, "__getitem__") and len(x):
        build(data_batch=(x[:1], y[:1]))


def _reset_in_place(optimizer, model) -> bool:
    """Give `optimizer`'s variables the values of a new optimizer of its config built for
    `model` (False, nothing changed, if the two do not have the same variables)."""
    fresh = fresh_optimizer(optimizer)
    fresh.build(model.trainable_variables)
    pairs = list(zip(optimizer.variables, fresh.variables, strict=False))  # lengths checked next
    if len(optimizer.variables) != len(fresh.variables) or any(
            a.shape != b.shape or a.dtype != b.dtype for a, b in pairs):
        return False
    for old, new in pairs:
        old.assign(keras.ops.convert_to_numpy(new.value).copy())  # own buffers: JAX donates the state
    return True


class _Tracker(keras.callbacks.Callback):
    """Counts iterations and epochs and snapshots at a rewind point. It hooks every batch
    only when it must (a rewind point given in iterations, or a user callback that hooks
    batches and may read ``ticket.iteration``); the weights are synced once, at the capture."""

    def __init__(self, ticket, at_iteration=None, at_epoch=None, name=None, callbacks=()):
        super().__init__()
        self.ticket, self.at_iteration, self.at_epoch, self.name = ticket, at_iteration, at_epoch, name
        self.start = None
        if at_iteration is not None or any(not getattr(c.on_train_batch_end, "_is_default", False) for c in callbacks):
            self.on_train_batch_end = self._batch_end

    def _done(self) -> int:
        return self.base + _steps(self.model.optimizer) - self.start

    def on_train_begin(self, logs=None):
        self.base, self.start = self.ticket.iteration, _steps(self.model.optimizer)

    def _batch_end(self, batch, logs=None):
        self.ticket.iteration += 1
        if self.ticket.iteration == self.at_iteration:
            getattr(self.model, "jax_state_sync", lambda: None)()  # JAX keeps the weights outside the model
            self.ticket._capture(self.name, self.ticket.iteration)

    def on_epoch_end(self, epoch, logs=None):
        self.ticket.epoch += 1
        if self.ticket.epoch == self.at_epoch:
            self.ticket._capture(self.name, self._done())

    def on_train_end(self, logs=None):
        self.ticket.iteration = self._done()
        self.start = None
        moved = masked.moved_while_pruned(self.model)
        if moved:
            warnings.warn(f"the optimizer moved pruned weights of {', '.join(moved)} although their gradient is 0 "
                          f"(its update of a weight depends on other weights), so this fit trained more than the "
                          f"ticket's subnetwork; they are zeroed again now. Use an optimizer such as SGD or Adam",
                          stacklevel=2)
        masked.apply_masks(self.model)


class Ticket(TicketCommon):
    """A Keras 3 model with masks and weight snapshots (see :class:`lottery_keras.ticket.Ticket`).

    ``Ticket(model)`` rebuilds `model` with masked layers (same layer names and weights;
    `model` itself is not changed) and snapshots the initial weights as ``"init"``.
    Masks are ``{layer_name: 0/1 array}`` over the kernels of Dense, EinsumDense and
    Conv1D/2D/3D layers; biases are never pruned.
    """

    def __init__(self, model):
        self.model = masked.masked_model(model)
        for name, variables in masked.weight_layers(self.model).items():
            if not all(np.isfinite(keras.ops.convert_to_numpy(v.value)).all() for v in variables):
                raise ValueError(f"layer {name!r} holds NaN or infinity")
        self.iteration = 0
        self.epoch = 0
        self.snapshots = {"init": weights.take(self.model, 0)}
        self._compile_kwargs = None

    optimizer_class = keras.optimizers.Optimizer

    # --- Keras-like training (compile, evaluate, predict: TicketCommon)

    def fit(self, x=None, y=None, *, rewind_point=None, seed=None, callbacks=None, **kwargs):
        """As ``model.fit``, plus: keeps masks fixed, counts iterations, and snapshots the
        weights at `rewind_point` ("500it", "1ep", an int) the first time it is reached.
        `seed` (optional) fixes the data order."""
        self._check_fit(x)
        at_iteration, at_epoch, name = self._capture_plan(rewind_point, x, kwargs)
        _build_loss(self.model, x, y)
        masked.apply_masks(self.model)  # pruned entries 0 even if the model's weights were set directly
        if seed is not None:
            _seed(int(seed))
        tracker = _Tracker(self, at_iteration, at_epoch, name, callbacks or ())
        try:
            history = self.model.fit(x, y, callbacks=[tracker, *(callbacks or [])], **kwargs)
        finally:
            if tracker.start is not None:  # interrupted: keep the count so far
                tracker.on_train_end()
        if name is not None and name not in self.snapshots:
            warnings.warn(f"rewind point {name!r} was not reached: training stopped at iteration {self.iteration}",
                          stacklevel=2)
        return history

    def _capture_plan(self, point, x, kwargs):
        """(iteration, epoch, name): where this fit should snapshot (Nones: nowhere)."""
        point = None if point is None else rewind_point.parse(point)
        if point is None or point.name in self.snapshots:
            return None, None, None
        if point.unit == "it":
            return point.amount, None, point.name
        per_epoch = kwargs.get("steps_per_epoch")
        sized = x is not None and hasattr(x, "__len__") and not kwargs.get("validation_split")
        if per_epoch is None and sized:
            per_epoch = math.ceil(len(x) / kwargs.get("batch_size", 32))
        return (None, point.amount, point.name) if per_epoch is None else (point.amount * per_epoch, None, point.name)

    def _capture(self, name: str, iteration: int) -> None:
        masked.apply_masks(self.model)
        self.snapshots[name] = weights.take(self.model, iteration)

    # --- masks (remaining, prune, randomize_masks: TicketCommon)

    @property
    def masks(self) -> dict:
        """{layer name: mask} as float32 numpy copies (changing them changes nothing)."""
        return {name: keras.ops.convert_to_numpy(layer.prune_mask.value).astype(np.float32)
                for name, layer in masked.prunable_layers(self.model).items()}

    def set_masks(self, masks) -> None:
        """Set masks by hand (names, shapes and 0/1 values checked); zeroes the pruned weights."""
        layers = masked.prunable_layers(self.model)
        if set(masks) != set(layers):
            raise ValueError(f"masks must name exactly the prunable layers {list(layers)}; got {sorted(masks)}")
        checked = {name: masks_lib.check_mask(name, masks[name], layer._kernel.shape) for name, layer in layers.items()}
        for name, layer in layers.items():
            layer.prune_mask.assign(checked[name])
        masked.apply_masks(self.model)
        masked.zero_optimizer_state(self.model)

    def kernels(self) -> dict:
        """{layer name: kernel} as numpy (pruned entries are 0)."""
        return {name: keras.ops.convert_to_numpy(layer._kernel.value)
                for name, layer in masked.prunable_layers(self.model).items()}

    def lth_rates(self, dense: float = 0.2, conv: float = 0.1, output: float | None = None) -> dict:
        """The LTH paper's per-layer rates for this model (output layer at half the dense rate)."""
        return weights.lth_rates(self.model, dense=dense, conv=conv, output=output)

    # --- weights (rewind: TicketCommon)

    def take_snapshot(self, name: str) -> weights.Snapshot:
        """Store the current weights as snapshot `name`."""
        self.snapshots[name] = weights.take(self.model, self.iteration)
        return self.snapshots[name]

    def restore_weights(self, snap: weights.Snapshot) -> None:
        """Weights <- snapshot * mask, exactly (optimizer and iteration untouched)."""
        weights.restore(self.model, snap)
        masked.apply_masks(self.model)

    def reinitialize(self, seed: int, keep_sign: bool = False) -> None:
        """Same masks, fresh weights from each layer's initializers with a new seed; with
        ``keep_sign=True`` each takes the sign of its W0. Stored as snapshot "reinit"."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {seed!r}")
        fresh = weights.fresh_weights(self.model, int(seed))
        w0 = self.snapshots["init"].weights
        for name, layer in masked.prunable_layers(self.model).items():
            kernel, bias = fresh[name]
            layer._kernel.assign(np.abs(kernel) * np.sign(w0[name][0]) if keep_sign else kernel)
            if bias is not None:
                layer.bias.assign(bias)
        masked.apply_masks(self.model)
        self.snapshots["reinit"] = weights.take(self.model, 0)
        self.iteration, self.epoch = 0, 0
        self._compile()

    def _compile(self) -> None:
        """A fresh optimizer state. Once the model is compiled and its optimizer built, the
        optimizer's variables are reset in place to those of a new optimizer of the same
        config, so the compiled training step is kept (a recompile costs far more than a
        short level of training); otherwise the model is compiled anew."""
        if self._compile_kwargs is None:
            return
        optimizer = getattr(self.model, "optimizer", None) if self.model.compiled else None
        if optimizer is None or not optimizer.built or not _reset_in_place(optimizer, self.model):
            super()._compile()

    def strip(self) -> keras.Model:
        """An independent plain Keras 3 model with the ticket's weights (zeros where pruned),
        compiled like the ticket if it was compiled."""
        plain = masked.strip(self.model)
        if self._compile_kwargs is not None:
            plain.compile(**self._fresh_compile_kwargs())
        return plain

    def save(self, folder):
        """Save model, masks, snapshots and counters into `folder` (see :mod:`.saving`)."""
        return saving.save(self, folder)

    @classmethod
    def load(cls, folder) -> Ticket:
        """A ticket saved by :meth:`save`, uncompiled: call :meth:`compile` before training."""
        return saving.load(folder, cls)
