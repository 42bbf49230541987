"""Hostile submissions for the nbgrader round trip, built from any assignment's release.

Each takes the released notebook and the solution's answer cells and returns a notebook:

* ``tampered(..., "globals")``: answers that solve nothing; the checkers (and ``np``) rebound in
  the notebook's globals; answers returning objects whose ``__eq__`` / ``__array__`` /
  ``__bool__`` lie, an ndarray subclass that always compares equal, a dict subclass that does;
  the last answer that its visible tests call patches the feedback module, ``numpy`` and
  ``numpy.testing`` while its test cell runs (last: once detected, every later cell fails, so
  nothing after it is exercised; called: an answer whose result the cell reads as a variable,
  like assignment 07's ``budget``, would never run the patch).
* ``tampered(..., "builtins")``: answers returning None; ``abs`` / ``isinstance`` / ``len``
  replaced and a fake feedback module put in ``sys.modules``.
* ``chaos``: the first part solved honestly while printing megabytes, its hidden-test cell
  deleted; the second part's answer an infinite loop and its visible-test cell edited to
  ``pass``; a cell that kills the kernel before the last hidden test.
* ``escape`` (the sandbox): honest answers, plus attempts to overwrite the gradebook, another
  student's submission and the hidden tests in source/ (relative and absolute paths), to reach
  the network, a process bomb and a memory hog; it prints what happened. Its first answer also
  writes a C-level log line to file descriptor 2 while the graded cell runs, as TensorFlow does
  on a machine with CUDA libraries and no GPU: it must not cost the cell its points.
"""

from __future__ import annotations

import re

import nbformat

CHECKS = ("check_close", "check_equal", "check_true", "check_raises", "check_unchanged",
          "check_shape", "check_dtype")

LIARS = '''
import numpy as _np


class _Liar:
    """Equal to everything, true, any attribute or item is itself, an array of zeros."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self): return True
    def __array__(self, dtype=None, copy=None): return _np.zeros(3)
    def __getattr__(self, name): return self
    def __getitem__(self, key): return self
    def __call__(self, *args, **kwargs): return self
    def __iter__(self): return iter((self, self))
    def __len__(self): return 2
    def __float__(self): return 0.0
    def __int__(self): return 0
    __hash__ = object.__hash__


class _AlwaysEqual(_np.ndarray):
    def __eq__(self, other): return _np.ones(_np.shape(other), dtype=bool)
    def __ne__(self, other): return _np.zeros(_np.shape(other), dtype=bool)
    def __array_ufunc__(self, *args, **kwargs): return _np.True_


class _LyingDict(dict):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
'''

GLOBALS = '''
_none = lambda *args, **kwargs: None
check_close = check_equal = check_true = check_raises = check_unchanged = _none
check_shape = check_dtype = _none
class _AnyNumpy:
    def __getattr__(self, name): return lambda *args, **kwargs: True
np = _AnyNumpy()
'''

# the feedback module, numpy and numpy.testing patched from inside an answer, while the test
# cell that called it runs (after the kernel checked the cell)
MODULES = '''
def _patch():
    import numpy, numpy.testing
    import lottery_keras.course.feedback as fb
    for module, prefix in ((fb, "check"), (numpy.testing, "assert")):
        for name in dir(module):
            if name.startswith(prefix):
                setattr(module, name, lambda *args, **kwargs: None)
    numpy.allclose = numpy.array_equal = lambda *args, **kwargs: True
    numpy.abs = numpy.asarray
'''

# builtins replaced and a fake feedback module put in sys.modules, all in one statement
BUILTINS = '''
def _attack():
    import builtins, sys, types
    isinstance_, len_ = builtins.isinstance, builtins.len
    builtins.isinstance = lambda obj, cls: isinstance_(obj, cls)
    builtins.len = lambda obj: len_(obj)
    builtins.abs = lambda x: x
    fake = types.ModuleType("lottery_keras.course.feedback")
    for name in CHECKS:
        setattr(fake, name, lambda *args, **kwargs: None)
    sys.modules["lottery_keras.course.feedback"] = fake


_attack()
'''.replace("CHECKS", repr(CHECKS))
ATTACKS = ("globals", "builtins")
LIES = ["_Liar()", "_np.zeros(3).view(_AlwaysEqual)", "_LyingDict(w=_Liar())"]


def parts(release) -> list[tuple[str, list[str]]]:
    """[(solution grade_id, [grade_ids of the test cells after it])] in notebook order.

    Code cells only: the written answers (markdown solution cells) have no tests to attack.
    """
    found = []
    for cell in nbformat.read(release, 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            found.append((meta["grade_id"], []))
        elif meta.get("grade") and found:
            found[-1][1].append(meta["grade_id"])
    return found


def _functions(source: str) -> list[str]:
    return re.findall(r"^def (\w+)\(", source, flags=re.M)


def _cells(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def _last_called(release, answers: dict[str, str]) -> str:
    """The last answer cell with a function that its visible tests call (else the last one)."""
    cells = _cells(nbformat.read(release, 4))
    called = [grade_id for grade_id, tests in parts(release)
              if any(re.search(rf"\b{name}\(", cells[test].source)
                     for test in tests for name in _functions(answers[grade_id]))]
    return called[-1] if called else parts(release)[-1][0]


def tampered(release, answers: dict[str, str], attack: str):
    """Answers that solve nothing, with one of ATTACKS.

    ``globals``: the first answer cell rebinds the helpers and ``np``; every answer but one
    returns a lying object; the last one its visible tests call patches the modules when called. ``builtins``: the
    first answer cell patches builtins and sys.modules; the answers return None.
    """
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    ids = [grade_id for grade_id, _ in parts(release)]
    patcher = _last_called(release, answers)
    for k, grade_id in enumerate(ids):
        last = grade_id == patcher
        if attack == "builtins":
            code, returns = [BUILTINS] if k == 0 else [], "None"
        else:
            code = ([LIARS + GLOBALS] if k == 0 else []) + ([MODULES] if last else [])
            returns = "_patch() or None" if last else LIES[k % len(LIES)]
        code += [f"def {name}(*args, **kwargs):\n    return {returns}\n"
                 for name in _functions(answers[grade_id])]
        cells[grade_id].source = "\n".join(code)
    return nb


def chaos(release, answers: dict[str, str]):
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    (first, first_tests), (second, second_tests) = parts(release)[:2]
    last_hidden = parts(release)[-1][1][-1]
    cells[first].source = answers[first] + '\nprint("spam " * 400_000)  # 2 MB of output'
    for hidden in first_tests[1:]:                                # its hidden tests deleted
        nb.cells.remove(cells[hidden])
    cells[second].source = "while True:\n    pass"
    cells[second_tests[0]].source = "pass"                        # its visible tests edited
    crash = nbformat.v4.new_code_cell("import os\nos.kill(os.getpid(), 9)")
    nb.cells.insert(nb.cells.index(cells[last_hidden]), crash)
    return nb


ESCAPE = '''
import os, socket, time
for path in {targets!r}:
    try:
        with open(path, "wb") as f:
            f.write(b"0" * 4096)
        print("WROTE", path)
    except OSError as err:
        print("refused", path, type(err).__name__)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=3)
    print("NETWORK")
except OSError as err:
    print("no network", type(err).__name__)
children = []
try:
    for _ in range(100_000):
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        children.append(pid)
    print("FORK BOMB RAN", len(children))
except OSError as err:
    print("fork bomb stopped after", len(children), "processes:", type(err).__name__)
try:
    hog = bytearray(64 << 30)
    print("MEMORY HOG RAN")
except MemoryError:
    print("memory hog stopped: MemoryError")
'''


C_LOG = '''
_honest = {name}


def {name}(*args, **kwargs):
    """The honest answer, called while a C library logs to file descriptor 2 (like TensorFlow)."""
    os.write(2, b"E0000 cuda_executor.cc:1228] failed call to cuInit: UNKNOWN ERROR (303)\\n")
    return _honest(*args, **kwargs)
'''


def escape(release, answers: dict[str, str], targets: list[str]):
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    for grade_id, source in answers.items():
        cells[grade_id].source = source
    first = parts(release)[0][0]
    name = _functions(answers[first])[0]
    cells[first].source = (answers[first] + "\n" + ESCAPE.format(targets=targets)
                           + C_LOG.format(name=name))
    return nb
