"""What a ticket does the same way on both paths (tf_keras + TF-MOT, and Keras 3): compile
with a fresh optimizer on every rewind, check fit's input, prune by a criterion, draw random
masks, rewind to a snapshot. No Keras import here: a path's Ticket supplies ``model``,
``masks``, ``set_masks``, ``lth_rates``, ``restore_weights``, ``snapshots`` and
``optimizer_class`` (its Keras' ``Optimizer``)."""

from __future__ import annotations

from lottery_keras.pruning import masks as masks_lib
from lottery_keras.pruning import rewind_point
from lottery_keras.pruning.random_mask import random_masks_like
from lottery_keras.scoring import criteria


def fresh_optimizer(optimizer):
    """A new optimizer of `optimizer`'s class and config, without its state."""
    return type(optimizer).from_config(optimizer.get_config())


class TicketCommon:
    """Mixin of the path-independent Ticket methods."""

    optimizer_class = None
    _compile_kwargs = None

    def compile(self, **kwargs) -> None:
        """As ``model.compile``; the optimizer is rebuilt fresh on every rewind."""
        self._compile_kwargs = dict(kwargs)
        self._compile()

    def _fresh_compile_kwargs(self) -> dict:
        """The compile arguments with a new optimizer (no state carried over)."""
        kwargs = dict(self._compile_kwargs)
        optimizer = kwargs.get("optimizer", "rmsprop")
        if isinstance(optimizer, self.optimizer_class):
            kwargs["optimizer"] = fresh_optimizer(optimizer)
        return kwargs

    def _compile(self) -> None:
        if self._compile_kwargs is not None:
            self.model.compile(**self._fresh_compile_kwargs())

    def _check_fit(self, x) -> None:
        if self._compile_kwargs is None:
            raise RuntimeError("call ticket.compile(optimizer=..., loss=...) before ticket.fit(...)")
        if x is not None and hasattr(x, "__len__") and len(x) == 0:
            raise ValueError("fit got empty training data (0 examples)")

    def evaluate(self, *args, **kwargs):
        """As ``model.evaluate`` (the masked weights are what is evaluated)."""
        return self.model.evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        """As ``model.predict``."""
        return self.model.predict(*args, **kwargs)

    def remaining(self) -> masks_lib.Remaining:
        """Fraction of prunable weights alive: ``.overall`` and ``.per_layer``."""
        return masks_lib.remaining(self.masks)

    def prune(self, fraction=None, scope: str = "layerwise", criterion="magnitude", seed: int = 0) -> None:
        """Prune `fraction` of the weights still alive.

        `fraction`: a number in [0, 1), a ``{layer: fraction}`` dict ("layerwise" only),
        or None for the LTH rates (``lth_rates()``). `scope`: "layerwise" or "global".
        `criterion`: "magnitude", "random" (seeded by `seed`) or a scorer callable
        (see :mod:`lottery_keras.scoring`). Masks only shrink.
        """
        if fraction is None:
            fraction = self.lth_rates() if scope == "layerwise" else 0.2
        scores = criteria.get(criterion, seed)(self)
        self.set_masks(masks_lib.prune(scores, self.masks, fraction, scope))

    def randomize_masks(self, seed: int, scope: str = "layerwise") -> None:
        """Replace the masks by random ones of the same sparsity (per layer, or in total
        for scope="global"). Pruned weights are zeroed; call :meth:`rewind` next."""
        self.set_masks(random_masks_like(self.masks, seed, scope))

    def rewind(self, point="init") -> None:
        """Weights <- snapshot * mask, exactly; fresh optimizer; iteration <- snapshot's.

        `point`: "init", a rewind point captured by ``fit`` ("500it", "1ep"), or
        "reinit" after ``reinitialize``.
        """
        name = point if point in self.snapshots else rewind_point.parse(point).name
        if name not in self.snapshots:
            raise ValueError(f"no snapshot {name!r}; this ticket has {sorted(self.snapshots)} "
                             "(fit(..., rewind_point=...) captures one)")
        self.restore_weights(self.snapshots[name])
        self.iteration, self.epoch = self.snapshots[name].iteration, 0
        self._compile()
