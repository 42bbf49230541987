"""Save and load a Keras 3 ticket: a folder with the model (masked layers, masks included)
as ``model.keras``, the weight snapshots as ``snapshots.npz`` and the counters as ``ticket.json``.
Values go through ``.keras``/``.npz`` files unchanged, so a loaded ticket rewinds bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from lottery_keras.keras3 import layers as masked
from lottery_keras.pruning.snapshot_data import Snapshot

FORMAT = "lottery_keras.keras3.ticket/1"
_SEP = "::"


def save(ticket, folder) -> Path:
    """Write `ticket` into `folder` (created if missing; its three files are replaced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with masked.tensorflow_unloaded():
        ticket.model.save(folder / "model.keras", include_optimizer=False)
    arrays = {f"{name}{_SEP}{layer}{_SEP}{i}": value for name, snap in ticket.snapshots.items()
              for layer, values in snap.weights.items() for i, value in enumerate(values)}
    np.savez(folder / "snapshots.npz", **arrays)
    state = {"format": FORMAT, "iteration": ticket.iteration, "epoch": ticket.epoch,
             "snapshots": {name: snap.iteration for name, snap in ticket.snapshots.items()}}
    (folder / "ticket.json").write_text(json.dumps(state, indent=1) + "\n")
    return folder


def load(folder, ticket_class):
    """The ticket saved in `folder`, uncompiled (call ``compile``: a loaded ticket starts with a fresh optimizer)."""
    folder = Path(folder)
    state_file = folder / "ticket.json"
    if not state_file.is_file():
        raise FileNotFoundError(f"{folder} holds no saved Keras 3 ticket (no ticket.json)")
    state = json.loads(state_file.read_text())
    if state.get("format") != FORMAT:
        raise ValueError(f"{state_file} has format {state.get('format')!r}, expected {FORMAT!r}")
    with masked.tensorflow_unloaded():
        model = keras.models.load_model(folder / "model.keras", compile=False)
    weights = {name: {} for name in state["snapshots"]}
    with np.load(folder / "snapshots.npz") as arrays:
        for key in arrays.files:
            name, layer, index = key.rsplit(_SEP, 2)
            weights[name].setdefault(layer, {})[int(index)] = arrays[key]
    ticket = ticket_class.__new__(ticket_class)
    ticket.model, ticket.iteration, ticket.epoch = model, state["iteration"], state["epoch"]
    ticket._compile_kwargs = None
    ticket.snapshots = {name: Snapshot(iteration, {layer: [values[i] for i in sorted(values)]
                                                   for layer, values in weights[name].items()})
                        for name, iteration in state["snapshots"].items()}
    return ticket
