"""Feedback for students: checks that say what was expected, what came back, and a hint.

Used by the visible tests in the exercise notebooks (and by the hidden ones), so a student sees
more than a bare ``AssertionError``::

    from lottery_keras.course.feedback import check_close
    check_close("magnitude_scores(w)", magnitude_scores(w), [0.5, 1.0, 2.0],
                hint="a magnitude score is |w|, the absolute value of each weight")

fails with::

    AssertionError: magnitude_scores(w) is not what was expected.
      expected: [0.5 1.  2. ]
      actual:   [-0.5  1.   2. ]
      1 of 3 values differ (atol=1e-06, rtol=1e-06); the first at index (0,): expected 0.5, got -0.5
      hint: a magnitude score is |w|, the absolute value of each weight

Every check returns None when it passes and raises ``AssertionError`` otherwise. Values may be
numbers, strings, numpy arrays, or lists, tuples and dicts of them (compared key by key); other
types, subclasses included, are refused (:func:`lottery_keras.course.guard.plain`). Every check
first verifies that numpy, builtins and this module are the ones sealed when it was imported
(:mod:`lottery_keras.course.guard`), so a graded cell that imports its checkers afresh cannot be
fooled by an earlier cell rebinding or patching them. Only numpy is imported.
"""

from __future__ import annotations

import numpy as np

from lottery_keras.course import guard

__all__ = [
    "check_close",
    "check_dtype",
    "check_equal",
    "check_raises",
    "check_shape",
    "check_true",
    "check_unchanged",
]


def _fmt(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=60, edgeitems=3,
                               max_line_width=88)
        return text.replace("\n", "\n            ")
    return repr(value)


def _fail(name, lines, hint):
    message = "\n".join([f"{name} is not what was expected."] + [f"  {ln}" for ln in lines])
    if hint:
        message += f"\n  hint: {hint}"
    raise AssertionError(message)


def _as_array(name, actual, expected, hint):
    """Return (actual, expected) as arrays, failing clearly on None, dicts and odd types."""
    if actual is None and expected is not None:
        _fail(name, [f"expected: {_fmt(np.asarray(expected))}", "actual:   None",
                     "the function returned None: is a `return` statement missing?"], hint)
    if isinstance(actual, dict) != isinstance(expected, dict):
        _fail(name, [f"expected a {type(expected).__name__}, got a {type(actual).__name__}",
                     f"actual: {_fmt(actual)}"], hint)
    try:
        actual_arr = np.asarray(actual)
    except Exception:  # anything numpy cannot read is a wrong answer
        _fail(name, [f"expected an array like {_fmt(np.asarray(expected))}",
                     f"got {type(actual).__name__}: {actual!r}"], hint)
    return actual_arr, np.asarray(expected)


def _check_keys(name, actual, expected, hint):
    if sorted(map(str, actual)) != sorted(map(str, expected)):
        _fail(name, [f"expected keys: {sorted(expected)}", f"actual keys:   {sorted(actual)}"],
              hint)


def _check_shape(name, actual, expected, hint):
    if actual.shape != expected.shape:
        _fail(name, [f"expected shape {expected.shape}, got shape {actual.shape}",
                     f"expected: {_fmt(expected)}", f"actual:   {_fmt(actual)}"], hint)


def _item(value):
    return value.item() if isinstance(value, np.generic) else value


def _first_difference(bad: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _trusted(name, *values):
    """Verify the seal, then the values as plain copies (AssertionError for anything else)."""
    guard.verify()
    return [guard.plain(value, name) for value in values]


def check_close(name, actual, expected, *, atol=1e-6, rtol=1e-6, hint=None) -> None:
    """Check that `actual` equals `expected` up to ``atol + rtol * |expected|`` elementwise.

    Shapes must match exactly (no broadcasting); NaN never matches.
    """
    actual, expected = _trusted(name, actual, expected)
    _close(name, actual, expected, atol, rtol, hint)


def _close(name, actual, expected, atol, rtol, hint) -> None:
    if isinstance(expected, dict):
        _as_array(name, actual, expected, hint)
        _check_keys(name, actual, expected, hint)
        for key in expected:
            _close(f"{name}[{key!r}]", actual[key], expected[key], atol=atol, rtol=rtol,
                        hint=hint)
        return
    actual, expected = _as_array(name, actual, expected, hint)
    _check_shape(name, actual, expected, hint)
    if not np.issubdtype(actual.dtype, np.number) and actual.dtype != bool:
        _fail(name, [f"expected numbers, got an array of dtype {actual.dtype}",
                     f"actual: {_fmt(actual)}"], hint)
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    bad = ~(np.abs(a - e) <= atol + rtol * np.abs(e))
    if bad.any():
        lines = [f"expected: {_fmt(expected)}", f"actual:   {_fmt(actual)}"]
        if actual.ndim:
            where = _first_difference(bad)
            lines.append(f"{int(bad.sum())} of {bad.size} values differ (atol={atol:g}, "
                         f"rtol={rtol:g}); the first at index {where}: expected "
                         f"{e[where]:.6g}, got {a[where]:.6g}")
        _fail(name, lines, hint)


def check_equal(name, actual, expected, *, hint=None) -> None:
    """Check exact equality: numbers, strings, arrays (same shape, same values) or dicts."""
    actual, expected = _trusted(name, actual, expected)
    _equal(name, actual, expected, hint)


def _equal(name, actual, expected, hint) -> None:
    if isinstance(expected, dict):
        _as_array(name, actual, expected, hint)
        _check_keys(name, actual, expected, hint)
        for key in expected:
            _equal(f"{name}[{key!r}]", actual[key], expected[key], hint)
        return
    if isinstance(expected, (str, bytes, type(None))) or np.isscalar(expected):
        if isinstance(actual, np.ndarray) and actual.ndim:
            _fail(name, [f"expected: {expected!r}", f"actual:   {_fmt(actual)}"], hint)
        if not (actual == expected):
            _fail(name, [f"expected: {expected!r}", f"actual:   {actual!r}"], hint)
        return
    actual, expected = _as_array(name, actual, expected, hint)
    _check_shape(name, actual, expected, hint)
    bad = actual != expected
    if np.any(bad):
        lines = [f"expected: {_fmt(expected)}", f"actual:   {_fmt(actual)}"]
        if actual.ndim:
            where = _first_difference(np.asarray(bad))
            lines.append(f"{int(np.sum(bad))} of {bad.size} values differ; the first at index "
                         f"{where}: expected {_item(expected[where])!r}, got {_item(actual[where])!r}")
        _fail(name, lines, hint)


def check_shape(name, actual, expected_shape, *, hint=None) -> None:
    """Check that `actual` is an array of shape `expected_shape`."""
    actual, expected_shape = _trusted(name, actual, tuple(expected_shape))
    if actual is None:
        _fail(name, [f"expected an array of shape {expected_shape}, got None",
                     "the function returned None: is a `return` statement missing?"], hint)
    shape = np.shape(actual)
    if shape != expected_shape:
        _fail(name, [f"expected shape {expected_shape}", f"actual shape   {shape}"], hint)


def check_dtype(name, actual, expected_dtype, *, hint=None) -> None:
    """Check that `actual` is a numpy array of dtype `expected_dtype`."""
    (actual,) = _trusted(name, actual)
    dtype = getattr(actual, "dtype", None)
    if dtype != np.dtype(expected_dtype):
        _fail(name, [f"expected dtype {np.dtype(expected_dtype)}",
                     f"actual dtype   {dtype} ({type(actual).__name__})"], hint)


def check_raises(name, exception, func, *args, hint=None, **kwargs) -> None:
    """Check that ``func(*args, **kwargs)`` raises `exception` (a class or tuple of classes)."""
    guard.verify()
    expected = getattr(exception, "__name__", None) or " or ".join(e.__name__ for e in exception)
    try:
        result = func(*args, **kwargs)
    except exception:
        guard.verify()   # the function ran: it may have changed the environment
        return
    except NotImplementedError:
        raise
    except Exception as err:  # report whatever came instead
        _fail(name, [f"expected {expected}", f"got {type(err).__name__}: {err}"], hint)
    guard.verify()
    _fail(name, [f"expected {expected} to be raised", f"but it returned {_fmt(result)}"], hint)


def _show(value) -> str:
    return _fmt(value if isinstance(value, dict) else np.asarray(value))


def check_unchanged(name, before, after, *, hint=None) -> None:
    """Check that an input was not modified in place (`before` is a copy taken earlier)."""
    before, after = _trusted(name, before, after)
    try:
        _equal(name, after, before, None)
    except AssertionError:
        _fail(name, [f"was modified in place: it was {_show(before)}",
                     f"and is now {_show(after)}",
                     "work on a copy (np.array(x), x.copy()) or build a new array"], hint)


def check_true(name, condition, *, detail="", hint=None) -> None:
    """Check a condition that the other helpers do not cover; `detail` says what was seen.

    The condition must be a bool (or numpy bool): an object's own truth value could lie.
    """
    guard.verify()
    if type(condition) not in (bool, np.bool_):
        _fail(name, [f"the condition is a {type(condition).__name__}, not True or False"], hint)
    if not condition:
        _fail(name, [detail] if detail else [], hint)


guard.seal()   # the state at the first import is the trusted one (see guard.seal_kernel)
