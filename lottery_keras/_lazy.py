"""Lazy package attributes: a name resolves to its module on first use.

Every package ``__init__`` of lottery_keras declares its public names in one dict and
calls :func:`attach`; nothing heavy (TensorFlow, TF-MOT) loads until a name is used,
which keeps ``import lottery_keras`` and ``lottery-keras --help`` fast.
"""

from __future__ import annotations

import importlib
import sys


def attach(package: str, names: dict[str, str]):
    """(__getattr__, __dir__) for `package`; `names` maps an attribute to "module" or "module:attr"."""

    def __getattr__(name):
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        obj = importlib.import_module(f"{package}.{module}")
        return getattr(obj, attr) if attr else obj

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
