"""Graded cells that do not trust the student's kernel: a seal of the checkers' world, and answers
taken as plain data.

A graded test cell runs in the same Python process as the student's cells, so anything it looks
up by name (a global ``check_close``, ``np.allclose``, ``builtins.abs``, the feedback module in
``sys.modules``) an earlier cell can replace. Three defences, used by
:mod:`lottery_keras.course.feedback`:

* **A seal.** :func:`seal` records, by identity, every entry of ``builtins``, of every loaded
  ``numpy`` and ``lottery_keras`` module and of their Python classes, and which module objects
  ``sys.modules`` holds for them. Each check first calls :func:`verify`, which fails with :class:`TamperingError` (an
  ``AssertionError``: the cell scores 0, with a message saying what changed) when any of them
  was replaced or deleted. Graded cells import their checkers afresh (never a notebook global).
* **A kernel watchdog.** The grading kernel calls :func:`seal_kernel` before the first cell. It
  installs a ``sys.addaudithook`` hook, which Python never lets code remove: it re-verifies the
  seal before every cell runs (so a replaced ``sys.modules`` entry or ``__import__`` cannot hand
  the next test cell fake checkers), refuses to change the code or defaults of numpy and
  lottery_keras functions, and refuses ``gc`` object walks and tracing (the ways to reach its
  state).
  Its comparisons use only references it captured when it was installed.
* **Plain answers.** :func:`plain` accepts only exact built-in types (numbers, strings, lists,
  tuples, dicts) and exact ``numpy.ndarray`` / numpy scalars, and copies them. An object whose
  ``__eq__`` or ``__array__`` lies, or an ndarray subclass that always compares equal, is
  refused before any of its methods run.

What this cannot do: code running in the kernel has full Python. A student who reads this module
and targets it (``ctypes``, rewriting IPython's execution machinery, forging the kernel's
replies) can still change their *own* grade. ``lottery-keras course grade`` runs every
submission in a sandbox, so such a student cannot touch the gradebook, the hidden tests or
anyone else's work; the graded notebook stays available for review.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np
import numpy.testing  # sealed with the rest of numpy

WATCHED = ("numpy", "lottery_keras")          # package roots whose module namespaces are sealed
_VOLATILE = frozenset({"_", "__", "___", "exit", "quit", "get_ipython", "display",
                       "__IPYTHON__", "__warningregistry__", "input"})  # input: ipykernel's, per cell
_SYS = ("modules", "meta_path", "path_hooks", "audit", "addaudithook")
_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes}
                     | {t for t in np.sctypeDict.values() if issubclass(t, np.generic)})
_CONTAINERS = (list, tuple)
_IMMUTABLE = 1 << 8                           # Py_TPFLAGS_IMMUTABLETYPE: C types cannot change
_MAX_DEPTH = 32


class TamperingError(AssertionError):
    """The grading environment was changed by an earlier cell: the check cannot be trusted."""


def _watched(name: str) -> bool:
    root = name.partition(".")[0]
    return root in WATCHED


def _snapshot() -> tuple:
    """(what, live namespace, frozen copy, strict) for builtins, the watched modules and their
    classes, and sys.modules; `strict`: no new names either (a class attribute added later
    would override an inherited one)."""
    entries = [("builtins", vars(builtins), dict(vars(builtins)), False)]
    modules = {}
    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name):
            modules[name] = module
            entries.append((name, vars(module), dict(vars(module)), False))
            for key, value in list(vars(module).items()):   # its mutable (Python) classes
                if (isinstance(value, type) and not value.__flags__ & _IMMUTABLE
                        and getattr(value, "__module__", None) == name):
                    entries.append((f"{name}.{key}", vars(value), dict(vars(value)), True))
    entries.append(("sys", vars(sys), {key: getattr(sys, key) for key in _SYS}, False))
    entries.append(("sys.modules", sys.modules, modules, False))
    return tuple(entries)


_MISSING = object()


def _make_verifier(entries, volatile=_VOLATILE, _items=dict.items, _missing=_MISSING):
    """A function that lists what changed since `entries` were taken.

    It uses only what it was given here (no global or builtin lookups in its body), so replacing
    names in builtins or in this module does not change what it sees.
    """
    def changed():
        found = []
        for what, live, frozen, strict in entries:
            if strict and live.__len__() != frozen.__len__():
                for key in live:
                    if key not in frozen:
                        found.append(f"{what}.{key} was added")
            for key, value in _items(frozen):
                if key in volatile:
                    continue
                current = live.get(key, _missing)   # a dict or a class's mappingproxy
                if current is not value:
                    state = "deleted" if current is _missing else "replaced"
                    found.append(f"{what}.{key} was {state}" if what != "sys.modules"
                                 else f"sys.modules[{key!r}] was {state}")
        return found
    return changed


_STATE: dict = {}   # "changed": the verifier, once sealed


def seal() -> None:
    """Record the current state as the trusted one (first call only; later calls do nothing)."""
    if "changed" not in _STATE:
        _STATE["changed"] = _make_verifier(_snapshot())


def verify() -> None:
    """Raise TamperingError naming what changed since :func:`seal` (sealing now if needed)."""
    seal()
    changed = _STATE["changed"]()
    if changed:
        raise TamperingError(_message(changed))


def _message(changed) -> str:
    shown = ", ".join(changed[:5]) + (f" (and {len(changed) - 5} more)" if len(changed) > 5
                                      else "")
    return ("the grading environment was changed by code that ran earlier, so this check "
            f"cannot be trusted: {shown}. Do not rebind or patch numpy, builtins or "
            "lottery_keras; restart the kernel and run the notebook again.")


# ---------------------------------------------------------------------------------------------
# the grading kernel's watchdog

_BLOCKED_ATTRS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})   # of functions
_BLOCKED_EVENTS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents",
                             "sys.setprofile", "sys.settrace"})


def seal_kernel(cell_files: str | None = None) -> None:
    """Seal now and install the watchdog (call once, before any student code runs).

    `cell_files`: prefix of the file names the kernel compiles cells under (found from IPython
    when not given); only code objects from those files trigger a verification.
    """
    import lottery_keras.course.feedback  # noqa: F401  (sealed before any cell imports it)

    seal()
    if cell_files is None:
        cell_files = _ipython_cell_prefix()
    sys.addaudithook(_make_hook(_STATE["changed"], cell_files))


def _ipython_cell_prefix() -> str:
    try:
        shell = get_ipython()  # noqa: F821  (defined in IPython kernels)
        name = shell.compile.get_code_name("pass", "pass", 0)
    except Exception:  # not in IPython: check every module-level exec
        return ""
    return name[:max(name.rfind("/"), name.rfind("\\")) + 1]


def _make_hook(changed, cell_files, blocked_attrs=_BLOCKED_ATTRS, blocked=_BLOCKED_EVENTS,
               watched=WATCHED, message=_message, error=TamperingError,
               refused=PermissionError, _getattr=getattr, _str=str, _type=type):
    def hook(event, args):
        if event == "exec":
            code = args[0]
            name = _getattr(code, "co_filename", "")
            if _type(name) is _str and name.startswith(cell_files):
                found = changed()
                if found:
                    raise error(message(found))
        elif event == "object.__setattr__":
            target, attr = args[0], args[1]
            module = _getattr(target, "__module__", None)
            if (_type(target) is _type(hook) and attr in blocked_attrs and _type(module) is _str
                    and module.partition(".")[0] in watched):
                raise refused(f"grading: changing {attr} of {module} objects is not allowed")
        elif event in blocked:
            raise refused(f"grading: {event} is not allowed")
    return hook


# ---------------------------------------------------------------------------------------------
# answers as plain data

def plain(value, name="the answer", _depth=0):
    """A copy of `value` made only of exact built-in types and plain numpy arrays/scalars.

    Raises AssertionError for anything else (custom classes, subclasses of list/dict/ndarray,
    object arrays): their methods could lie about equality or contents.
    """
    kind = type(value)
    if _depth > _MAX_DEPTH:
        raise AssertionError(f"{name} is nested more than {_MAX_DEPTH} levels deep")
    if kind in _SCALARS:
        return value
    if kind is np.ndarray:
        if value.dtype.kind not in "biufcSU":
            raise AssertionError(f"{name} is an array of dtype {value.dtype}; expected numbers, "
                                 "booleans or strings")
        return value.copy()
    if kind in _CONTAINERS:
        return kind(plain(item, name, _depth + 1) for item in value)
    if kind is dict:
        out = {}
        for key, item in dict.items(value):
            if type(key) not in _SCALARS:
                raise AssertionError(f"{name} has a key of type {type(key).__name__}")
            out[key] = plain(item, f"{name}[{key!r}]", _depth + 1)
        return out
    raise AssertionError(
        f"{name} is a {kind.__module__}.{kind.__qualname__}: the grader accepts numbers, "
        "strings, numpy arrays, and lists, tuples and dicts of them (not subclasses)")
