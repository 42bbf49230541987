"""``lk.Ticket``: one name for both paths. A Keras 3 model gets a
:class:`lottery_keras.keras3.ticket.Ticket`, anything else the TF-MOT
:class:`lottery_keras.ticket.Ticket` (which checks it is a tf_keras model). Only the
path taken is imported, so a Keras 3 ticket on JAX never loads TensorFlow."""

from __future__ import annotations

import importlib
import sys

_PATHS = ("lottery_keras.keras3.ticket", "lottery_keras.ticket")


def is_keras3_model(model) -> bool:
    """True for instances of Keras 3 classes (module ``keras.*``; tf_keras is ``tf_keras.*``)."""
    return any(c.__module__.split(".")[0] == "keras" for c in type(model).__mro__)


def _ticket_class(module: str):
    return importlib.import_module(module).Ticket


class _Dispatch(type):
    def __call__(cls, model, *args, **kwargs):
        return _ticket_class(_PATHS[0] if is_keras3_model(model) else _PATHS[1])(model, *args, **kwargs)

    def __instancecheck__(cls, obj):
        return any(m in sys.modules and isinstance(obj, sys.modules[m].Ticket) for m in _PATHS)

    def __getattr__(cls, name):  # public class attributes (e.g. Ticket.load) are the TF-MOT ticket's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(_ticket_class(_PATHS[1]), name)


class Ticket(metaclass=_Dispatch):
    """A prunable model with masks and weight snapshots: ``Ticket(model)`` for a tf_keras
    model (TF-MOT wrappers, :class:`lottery_keras.ticket.Ticket`) or a Keras 3 model
    (masked layers, :class:`lottery_keras.keras3.ticket.Ticket`), with the same API."""
