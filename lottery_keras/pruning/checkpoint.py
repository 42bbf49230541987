"""Save a :class:`~lottery_keras.Ticket` to one ``.npz`` file and load it back bit for bit.

The file holds ``meta`` (JSON: format, version, the plain model's architecture, the
iteration and epoch counts, the snapshot names, the compile settings) and arrays: the
current weights (``weights/...``), the masks (``mask/...``), every snapshot, W0 and any
rewind point (``snapshot/<k>/...``), and the optimizer's state (``optimizer/<i>``) once it
has trained. Arrays are stored as they are, so a loaded ticket's weights, masks and
snapshots equal the saved ones exactly and training it continues as the original would.
A truncated, corrupted or mismatched file is refused with a ValueError naming it.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow_model_optimization as tfmot

from lottery_keras._keras import keras
from lottery_keras.pruning import masks, npz, snapshot

FORMAT = "lottery_keras.ticket"
VERSION = 1


def _compile_config(kwargs):
    """The compile arguments as JSON-able Keras configs, or None (with a warning) if impossible."""
    if kwargs is None:
        return None
    try:
        config = {k: keras.saving.serialize_keras_object(v) for k, v in kwargs.items()}
        json.dumps(config)
        return config
    except (TypeError, ValueError, OSError, AttributeError) as err:
        warnings.warn(f"the ticket's compile settings cannot be saved ({err}); call ticket.compile(...) "
                      "again after Ticket.load", stacklevel=3)
        return None


def _optimizer_state(model) -> list:
    """The optimizer's variables (step count, moments...) once built, else []."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "_built", False):
        return []
    return [np.asarray(v.numpy()) for v in optimizer.variables]


def save(ticket, path) -> Path:
    """Write `ticket` to `path` (a temporary file moved into place, so a crash leaves no torn file)."""
    path = Path(path)
    plain = tfmot.sparsity.keras.strip_pruning(ticket.model)  # shares the layers, copies nothing
    meta = {"format": FORMAT, "version": VERSION, "model": json.loads(plain.to_json()),
            "iteration": ticket.iteration, "epoch": ticket.epoch, "snapshots": list(ticket.snapshots),
            "compile": _compile_config(ticket._compile_kwargs)}
    arrays = {"meta": np.asarray(json.dumps(meta)),
              **snapshot.to_arrays(snapshot.take(ticket.model, ticket.iteration), "weights/"),
              **masks.to_arrays(ticket.masks, "mask/")}
    for k, snap in enumerate(ticket.snapshots.values()):
        arrays.update(snapshot.to_arrays(snap, f"snapshot/{k}/"))
    arrays.update({f"optimizer/{i}": v for i, v in enumerate(_optimizer_state(ticket.model))})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        npz.write(tmp, arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _meta(path, arrays) -> dict:
    npz.missing(path, arrays, ["meta"])
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError:
        raise ValueError(f"{path}: its meta record is not JSON; the file is corrupted") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a lottery_keras ticket file (save one with ticket.save(path))")
    if meta.get("version") != VERSION:
        raise ValueError(f"{path} is a version {meta.get('version')!r} ticket file; this lottery_keras reads "
                         f"version {VERSION}")
    return meta


def load(cls, path, custom_objects=None):
    """A `cls` (Ticket) rebuilt from a file written by :func:`save`. `custom_objects`: as
    for ``keras.models.model_from_json``, for models with custom layers."""
    arrays = npz.read(path)
    meta = _meta(path, arrays)
    try:
        model = keras.models.model_from_json(json.dumps(meta["model"]), custom_objects=custom_objects)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(f"{path}: cannot rebuild the model ({err}); custom layers need "
                         "Ticket.load(path, custom_objects={...})") from None
    ticket = cls(model)
    try:
        ticket.set_masks(masks.from_arrays(arrays, "mask/"))
        snapshot.restore(ticket.model, snapshot.from_arrays(arrays, "weights/", path))
        ticket.snapshots = {name: snapshot.from_arrays(arrays, f"snapshot/{k}/", path)
                            for k, name in enumerate(meta["snapshots"])}
        for snap in ticket.snapshots.values():
            snapshot.check(ticket.model, snap)
        ticket.iteration, ticket.epoch = int(meta["iteration"]), int(meta["epoch"])
        if meta["compile"] is not None:
            ticket.compile(**{k: keras.saving.deserialize_keras_object(v) for k, v in meta["compile"].items()})
            count = sum(key.startswith("optimizer/") for key in arrays)
            _set_optimizer_state(ticket.model, [arrays[f"optimizer/{i}"] for i in range(count)])
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(f"{path} does not match the model it describes: {err}") from None
    return ticket


def _set_optimizer_state(model, values: list) -> None:
    if not values:
        return
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    if len(optimizer.variables) != len(values):
        raise ValueError(f"the optimizer has {len(optimizer.variables)} variables, the file {len(values)}")
    optimizer.set_weights(values)
