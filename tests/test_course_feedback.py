"""The student feedback helpers: silent when right, explicit when wrong."""

from __future__ import annotations

import numpy as np
import pytest

from lottery_keras.course import fast_mode
from lottery_keras.course.feedback import (
    check_close,
    check_dtype,
    check_equal,
    check_raises,
    check_shape,
    check_true,
    check_unchanged,
)


def message(func, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        func(*args, **kwargs)
    return str(err.value)


def test_passing_checks_return_none():
    assert check_close("x", np.array([1.0, 2.0 + 1e-9]), [1, 2]) is None
    assert check_close("d", {"a": np.ones(2)}, {"a": [1, 1]}) is None
    assert check_equal("m", {"a": np.array([1.0, 0.0], np.float32)}, {"a": [1, 0]}) is None
    assert check_equal("n", 3, 3) is None
    assert check_equal("s", "layer", "layer") is None
    assert check_shape("x", np.zeros((2, 3)), (2, 3)) is None
    assert check_dtype("x", np.zeros(2, np.float32), np.float32) is None
    assert check_raises("int('x')", ValueError, int, "x") is None
    assert check_unchanged("w", np.arange(3), np.arange(3)) is None
    assert check_true("ok", True) is None


def test_close_shows_expected_actual_first_difference_and_hint():
    text = message(check_close, "magnitude_scores(w)", np.array([-0.5, 1.0, 2.0]),
                   [0.5, 1.0, 2.0], hint="use |w|")
    assert text.splitlines()[0] == "magnitude_scores(w) is not what was expected."
    assert "expected: [0.5 1.  2. ]" in text and "actual:   [-0.5  1.   2. ]" in text
    assert "1 of 3 values differ" in text and "index (0,)" in text
    assert "expected 0.5, got -0.5" in text
    assert text.splitlines()[-1] == "  hint: use |w|"


def test_close_refuses_broadcasting_none_and_nan():
    assert "expected shape (2, 3), got shape (6,)" in message(
        check_close, "f(w)", np.ones(6), np.ones((2, 3)))
    assert "is a `return` statement missing?" in message(check_close, "f(w)", None, [1.0])
    assert "values differ" in message(check_close, "f(w)", np.array([np.nan]), [np.nan])
    assert "expected a dict, got a ndarray" in message(check_close, "f", np.ones(2),
                                                       {"a": np.ones(2)})


def test_equal_on_dicts_names_the_key():
    text = message(check_equal, "masks", {"a": np.array([1, 0, 1])}, {"a": [1, 1, 1]})
    assert text.startswith("masks['a'] is not what was expected.")
    assert "expected 1, got 0" in text
    assert "expected keys: ['a', 'b']" in message(check_equal, "masks", {"a": 1},
                                                  {"a": 1, "b": 2})
    assert "expected: 4" in message(check_equal, "n", 3, 4)


def test_shape_dtype_raises_unchanged_true():
    assert "expected shape (2, 3)" in message(check_shape, "x", np.zeros(6), (2, 3))
    assert "expected dtype float32" in message(check_dtype, "x", np.zeros(2), np.float32)
    text = message(check_raises, "f(bad)", ValueError, lambda: 3, hint="check shapes")
    assert "expected ValueError to be raised" in text and "but it returned 3" in text
    assert "got KeyError" in message(check_raises, "f", ValueError, {}.__getitem__, "k")
    text = message(check_unchanged, "w", np.array([1, 2]), np.array([1, -2]))
    assert "modified in place" in text
    assert "saw 3" in message(check_true, "cond", False, detail="saw 3")


def test_not_implemented_passes_through():
    def todo(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_raises("todo()", ValueError, todo)


def test_fast_mode(monkeypatch):
    monkeypatch.delenv("LOTTERY_KERAS_FAST", raising=False)
    assert not fast_mode()
    for value, expected in [("1", True), ("yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv("LOTTERY_KERAS_FAST", value)
        assert fast_mode() is expected
