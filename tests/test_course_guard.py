"""The seal and plain answers of lottery_keras.course.guard, as the checkers use them.

Tampering is undone after each test; the kernel-level watchdog (an audit hook, which cannot be
removed) is tested in a subprocess so it does not stay in the test process.
"""

from __future__ import annotations

import builtins
import subprocess
import sys
import textwrap

import numpy as np
import numpy.testing
import pytest

from lottery_keras.course import feedback, guard
from lottery_keras.course.feedback import check_close, check_equal, check_raises, check_true


@pytest.fixture
def patched():
    """Set attributes for one test and put the originals back afterwards."""
    undo = []

    def patch(obj, name, value):
        own = name in vars(obj)      # else inherited: delete it again afterwards
        undo.append((obj, name, own, getattr(obj, name)))
        setattr(obj, name, value)

    yield patch
    for obj, name, own, value in reversed(undo):
        if own:
            setattr(obj, name, value)
        else:
            delattr(obj, name)


@pytest.mark.parametrize("target, name", [
    (np, "allclose"), (np, "abs"), (numpy.testing, "assert_allclose"), (builtins, "abs"),
    (builtins, "isinstance"), (builtins, "len"), (feedback, "_fail"), (feedback, "np"),
    (guard, "plain"), (guard.TamperingError, "__init__"),
])
def test_patching_is_detected_by_every_check(patched, target, name):
    original = getattr(target, name)
    # a stand-in that behaves like the original (pytest itself needs builtins to work)
    patched(target, name, original if name == "np" else
            (lambda *a, **k: original(*a, **k)))
    if name == "np":
        patched(feedback, "np", type(np)("numpy"))
    with pytest.raises(guard.TamperingError, match=rf"\.{name} was (replaced|added)"):
        check_close("x", 1.0, 1.0)
    with pytest.raises(guard.TamperingError):
        check_true("x", True)


def test_replacing_a_module_in_sys_modules_is_detected(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy.testing", object())
    with pytest.raises(guard.TamperingError, match=r"sys.modules\['numpy.testing'\] was replaced"):
        check_equal("x", 1, 1)


def test_a_function_that_tampers_inside_check_raises_is_caught(patched):
    def sneaky():
        patched(np, "array_equal", lambda *a: True)
        raise ValueError

    with pytest.raises(guard.TamperingError, match="array_equal"):
        check_raises("sneaky()", ValueError, sneaky)


class Liar:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.array([1.5, 0.0, 2.0])

    def __bool__(self):
        return True


class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_ufunc__(self, *args, **kwargs):
        return np.ones(self.shape, dtype=bool)


@pytest.mark.parametrize("answer", [
    Liar(), np.zeros(3).view(AlwaysEqual), [Liar()], {"w": Liar()}, type("F", (float,), {})(1.5),
    type("D", (dict,), {})(w=1), np.array([Liar()] * 3, dtype=object),
])
def test_objects_that_could_lie_are_refused_before_their_methods_run(answer):
    with pytest.raises(AssertionError, match=r"the grader accepts|dtype object") as err:
        check_close("f(w)", answer, {"w": [1.5, 0.0, 2.0]} if isinstance(answer, dict)
                    else [1.5, 0.0, 2.0])
    assert not isinstance(err.value, guard.TamperingError)
    with pytest.raises(AssertionError):
        check_true("a lying condition", Liar())


def test_plain_copies_what_it_accepts():
    w = np.arange(3.0)
    out = guard.plain({"a": [w, (1, "x", None)], 2: np.float32(1.5)})
    assert out["a"][0] is not w and np.array_equal(out["a"][0], w)
    assert out["a"][1] == (1, "x", None) and type(out[2]) is np.float32
    cycle = []
    cycle.append(cycle)
    with pytest.raises(AssertionError, match="nested more than"):
        guard.plain(cycle)


def test_the_verifier_looks_up_no_global_names():
    """Its comparisons cannot be redirected by rebinding builtins or module globals."""
    changed = guard._make_verifier(guard._snapshot())
    assert changed() == []
    assert set(changed.__code__.co_names) <= {"append", "get", "__len__"}, changed.__code__.co_names


WATCHDOG = textwrap.dedent("""
    import builtins, gc, sys
    import numpy as np
    from lottery_keras.course import guard
    guard.seal_kernel(cell_files="<cell>")
    exec(compile("x = 1", "<cell>", "exec"))              # clean: runs
    np.allclose = lambda *a, **k: True                      # a student cell patches numpy
    try:
        exec(compile("y = 2", "<cell>", "exec"))            # the next cell is refused
    except AssertionError as err:
        print("next cell refused:", "numpy.allclose was replaced" in str(err))
    exec(compile("z = 3", "<library>", "exec"))             # library code is not checked
    for attempt in ("guard.plain.__code__ = (lambda v, n='', _depth=0: v).__code__",
                    "gc.get_objects()", "sys.settrace(None)"):
        try:
            exec(attempt)
            print("allowed:", attempt)
        except PermissionError:
            print("refused:", attempt.split("(")[0].split(".__")[0])
""")


def test_the_kernel_watchdog_refuses_the_next_cell_and_protects_itself():
    proc = subprocess.run([sys.executable, "-c", WATCHDOG], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:4] == [
        "next cell refused: True", "refused: guard.plain", "refused: gc.get_objects",
        "refused: sys.settrace"], proc.stdout
