"""`Ticket`: a model plus its masks plus snapshots of its weights.

The model's Dense/Conv2D layers live in TF-MOT pruning wrappers with fixed masks
(see :mod:`lottery_keras.pruning.pruned_model`). A ticket trains like a Keras model, prunes
by a criterion, and rewinds to a snapshot (the initial weights W0 or a later W_k)
keeping its masks: the Lottery Ticket Hypothesis workflow in a few lines.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import tensorflow_model_optimization as tfmot

from lottery_keras._keras import keras
from lottery_keras._ticket_common import TicketCommon
from lottery_keras.pruning import checkpoint, pruned_model, reinitialize, rewind_point, snapshot
from lottery_keras.pruning.rates import lth_rates


class _TicketCallback(keras.callbacks.Callback):
    """Keeps the ticket's iteration and epoch counts, snapshots a rewind point given in
    epochs, and re-applies the masks at the end. It has no per-batch hook (no Python call
    per training step): the iteration count is read off the optimizer's step counter."""

    def __init__(self, ticket, capture_epoch=None, capture_name=None):
        super().__init__()
        self.ticket = ticket
        self.capture_epoch = capture_epoch
        self.capture_name = capture_name

    def on_train_begin(self, logs=None):
        self.ticket._count_from(self.model.optimizer)

    def on_epoch_end(self, epoch, logs=None):
        self.ticket.epoch += 1
        if self.capture_epoch is not None and self.ticket.epoch == self.capture_epoch:
            self.ticket._capture(self.capture_name)

    def on_train_end(self, logs=None):
        self.ticket._count_from(None)
        pruned_model.apply_masks(self.ticket.model)


class _CaptureAtIteration(keras.callbacks.Callback):
    """Snapshots the weights once training reaches a given iteration (late rewinding)."""

    def __init__(self, ticket, iteration: int, name: str):
        super().__init__()
        self._supports_tf_logs = True  # keep Keras from syncing logs to numpy every batch
        self.ticket, self.iteration, self.name = ticket, iteration, name

    def on_train_begin(self, logs=None):
        self.seen = self.ticket.iteration

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.iteration:
            self.ticket._capture(self.name)


class Ticket(TicketCommon):
    """A prunable model with masks and weight snapshots.

    ``Ticket(model)`` wraps `model` (its layers are shared, not copied) and snapshots
    its initial weights as ``"init"``. Masks are ``{layer_name: 0/1 array}`` over the
    kernels of Dense and Conv2D layers; biases are never pruned.
    """

    optimizer_class = keras.optimizers.Optimizer

    def __init__(self, model):
        self.model = pruned_model.wrap(model)
        pruned_model.check_finite(self.model)
        self._iteration = 0
        self._counting = None  # (optimizer, its step count at the start of fit) while fitting
        self.epoch = 0
        self.snapshots = {"init": snapshot.take(self.model, iteration=0)}
        self._compile_kwargs = None

    @property
    def iteration(self) -> int:
        """Training iterations since initialisation (live during fit, read off the optimizer)."""
        if self._counting is None:
            return self._iteration
        optimizer, start = self._counting
        return self._iteration + int(optimizer.iterations.numpy()) - start

    @iteration.setter
    def iteration(self, value: int) -> None:
        self._counting = None
        self._iteration = int(value)

    def _count_from(self, optimizer) -> None:
        """Start counting iterations off `optimizer`'s step counter; None stops and keeps the count."""
        self._iteration = self.iteration
        self._counting = None if optimizer is None else (optimizer, int(optimizer.iterations.numpy()))

    # --- Keras-like training ------------------------------------------------------

    def fit(self, x=None, y=None, *, rewind_point=None, seed=None, callbacks=None, **kwargs):
        """As ``model.fit``, plus: keeps masks fixed, counts iterations, and snapshots
        the weights at `rewind_point` ("500it", "1ep", an int) the first time it is
        reached. `seed` (optional) fixes the data order and any other randomness.
        """
        self._check_fit(x)
        capture = self._plan_capture(rewind_point, x, kwargs)
        if seed is not None:
            keras.utils.set_random_seed(int(seed))
        iteration, epoch, name = capture
        cbs = [tfmot.sparsity.keras.UpdatePruningStep(), _TicketCallback(self, epoch, name)]
        if iteration is not None:
            cbs.append(_CaptureAtIteration(self, iteration, name))
        try:
            history = self.model.fit(x, y, callbacks=cbs + list(callbacks or []), **kwargs)
        finally:
            if self._counting is not None:  # training was interrupted: keep the count so far
                self._count_from(None)
        if name is not None and name not in self.snapshots:
            warnings.warn(f"rewind point {name!r} was not reached: training stopped at iteration {self.iteration}",
                          stacklevel=2)
        return history

    def _plan_capture(self, point, x, kwargs):
        """(iteration, epoch, name) at which fit should snapshot, or Nones."""
        if point is None:
            return None, None, None
        point = rewind_point.parse(point)
        if point.name in self.snapshots:
            return None, None, None
        if point.unit == "ep":
            steps = kwargs.get("steps_per_epoch")
            if steps is None and x is not None and hasattr(x, "__len__") and not kwargs.get("validation_split"):
                steps = math.ceil(len(x) / kwargs.get("batch_size", 32))
            if steps is None:
                return None, point.amount, point.name
            return point.iteration(steps), None, point.name
        return point.iteration(1), None, point.name

    def _capture(self, name: str) -> None:
        """Snapshot the masked weights at the current iteration as `name`."""
        pruned_model.apply_masks(self.model)
        self.snapshots[name] = snapshot.take(self.model, self.iteration)

    # --- masks ---------------------------------------------------------------------

    @property
    def masks(self) -> dict:
        """{layer name: mask} as numpy copies (changing them changes nothing)."""
        return pruned_model.get_masks(self.model)

    def apply_masks(self) -> None:
        """Zero the pruned weights again, exactly. ``fit`` does it for you; in a custom
        ``tf.GradientTape`` loop call it after every ``optimizer.apply_gradients(...)``
        (README, "Custom training loops"), else pruned weights drift from zero."""
        pruned_model.apply_masks(self.model)

    def set_masks(self, masks) -> None:
        """Set masks by hand (names, shapes and 0/1 values checked); zeroes the pruned weights."""
        pruned_model.set_masks(self.model, masks)

    def kernels(self) -> dict:
        """{layer name: kernel} as numpy (pruned entries are 0)."""
        return pruned_model.kernels(self.model)

    def lth_rates(self, dense: float = 0.2, conv: float = 0.1, output: float | None = None) -> dict:
        """The LTH paper's per-layer rates for this model (output layer at half the dense rate)."""
        return lth_rates(self.model, dense=dense, conv=conv, output=output)

    # --- weights -------------------------------------------------------------------

    def take_snapshot(self, name: str) -> snapshot.Snapshot:
        """Store the current weights as snapshot `name` (e.g. the end of a training run)."""
        self.snapshots[name] = snapshot.take(self.model, self.iteration)
        return self.snapshots[name]

    def restore_weights(self, snap: snapshot.Snapshot) -> None:
        """Weights <- snapshot * mask, exactly (optimizer and iteration untouched)."""
        snapshot.restore(self.model, snap)
        pruned_model.apply_masks(self.model)

    def reinitialize(self, seed: int, keep_sign: bool = False) -> None:
        """Same masks, fresh weights from each layer's own initializers with a new seed
        (the LTH "random re-initialisation" control). With ``keep_sign=True`` each fresh
        weight takes the sign of its W0 (Zhou et al. 2019, "Deconstructing Lottery
        Tickets"). Stored as snapshot "reinit"."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {seed!r}")
        fresh = reinitialize.fresh_weights(self.model, int(seed))
        w0 = self.snapshots["init"].weights
        for name, wrapper in pruned_model.prunable_layers(self.model).items():
            kernel, bias = fresh[name]
            if keep_sign:
                kernel = np.abs(kernel) * np.sign(w0[name][0])
            wrapper.layer.kernel.assign(kernel)
            if bias is not None:
                wrapper.layer.bias.assign(bias)
        pruned_model.apply_masks(self.model)
        self.snapshots["reinit"] = snapshot.take(self.model, iteration=0)
        self.iteration = 0
        self.epoch = 0
        self._compile()

    def strip(self) -> keras.Model:
        """An independent plain tf_keras model with the ticket's weights (zeros where
        pruned), compiled like the ticket if it was compiled."""
        pruned_model.apply_masks(self.model)
        stripped = tfmot.sparsity.keras.strip_pruning(self.model)  # shares layer objects
        plain = keras.models.clone_model(stripped)
        plain.set_weights(stripped.get_weights())
        if self._compile_kwargs is not None:
            plain.compile(**self._fresh_compile_kwargs())
        return plain

    # --- files ---------------------------------------------------------------------

    def save(self, path):
        """Write the ticket to one ``.npz`` file: architecture, weights, masks, every
        snapshot, the iteration and epoch counts, compile settings and optimizer state.
        Returns the path. See :mod:`lottery_keras.pruning.checkpoint`."""
        return checkpoint.save(self, path)

    @classmethod
    def load(cls, path, custom_objects=None) -> Ticket:
        """The ticket :meth:`save` wrote, bit for bit (ValueError naming the file if it is
        truncated, corrupted or not a ticket file)."""
        return checkpoint.load(cls, path, custom_objects)
