"""Hostile submissions for the nbgrader round trip, built from any assignment's release.

Each takes the released notebook and the solution's answer cells and returns a notebook:

* ``tampered``: answers that solve nothing, plus, staged one per answer cell so each defence is
  exercised on its own part: rebinding the checkers (and ``np``) in the notebook's globals with
  answers returning objects whose ``__eq__`` / ``__array__`` / ``__bool__`` lie; patching the
  feedback module, ``numpy`` and ``numpy.testing`` with answers returning an ndarray subclass
  that always compares equal; replacing ``builtins`` functions and the feedback module in
  ``sys.modules`` with answers returning ``None``.
* ``chaos``: the first part solved honestly while printing megabytes, its hidden-test cell
  deleted; the second part's answer an infinite loop and its visible-test cell edited to
  ``pass``; a cell that kills the kernel before the last hidden test.
* ``escape`` (the sandbox): honest answers, plus attempts to overwrite the gradebook, another
  student's submission and the hidden tests in source/ (relative and absolute paths), to reach
  the network, a process bomb and a memory hog; it prints what happened.
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
'''

STAGES = [
    # 1: the helpers and np rebound in the notebook's globals
    '''
_none = lambda *args, **kwargs: None
check_close = check_equal = check_true = check_raises = check_unchanged = _none
check_shape = check_dtype = _none
class _AnyNumpy:
    def __getattr__(self, name): return lambda *args, **kwargs: True
np = _AnyNumpy()
''',
    # 2: the feedback module, numpy and numpy.testing patched
    '''
import numpy, numpy.testing
import lottery_keras.course.feedback as _fb
for _module, _prefix in ((_fb, "check"), (numpy.testing, "assert")):
    for _name in dir(_module):
        if _name.startswith(_prefix):
            setattr(_module, _name, lambda *args, **kwargs: None)
numpy.allclose = numpy.array_equal = lambda *args, **kwargs: True
numpy.abs = numpy.asarray
''',
    # 3: builtins and sys.modules
    '''
import builtins, sys, types
_isinstance, _len, _abs = builtins.isinstance, builtins.len, builtins.abs
builtins.isinstance = lambda obj, cls: _isinstance(obj, cls)
builtins.len = lambda obj: _len(obj)
builtins.abs = lambda x: x
_fake = types.ModuleType("lottery_keras.course.feedback")
for _name in CHECKS:
    setattr(_fake, _name, lambda *args, **kwargs: None)
sys.modules["lottery_keras.course.feedback"] = _fake
'''.replace("CHECKS", repr(CHECKS)),
]
RETURNS = ["_Liar()", "_np.zeros(3).view(_AlwaysEqual)", "None"]


def parts(release) -> list[tuple[str, list[str]]]:
    """[(solution grade_id, [grade_ids of the test cells after it])] in notebook order."""
    found = []
    for cell in nbformat.read(release, 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            found.append((meta["grade_id"], []))
        elif meta.get("grade") and found:
            found[-1][1].append(meta["grade_id"])
    return found


def _functions(source: str) -> list[str]:
    return re.findall(r"^def (\w+)\(", source, flags=re.M)


def _cells(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def tampered(release, answers: dict[str, str]):
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    ids = [grade_id for grade_id, _ in parts(release)]
    for k, grade_id in enumerate(ids):
        code = [LIARS] if k == 0 else []
        if k < len(STAGES):
            code += STAGES[k:] if k == len(ids) - 1 else [STAGES[k]]   # the rest on the last
        code += [f"def {name}(*args, **kwargs):\n    return {RETURNS[min(k, 2)]}\n"
                 for name in _functions(answers[grade_id])]
        cells[grade_id].source = "\n".join(code)
    return nb


def chaos(release, answers: dict[str, str]):
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    (first, first_tests), (second, second_tests) = parts(release)[:2]
    last_hidden = parts(release)[-1][1][-1]
    cells[first].source = answers[first] + '\nprint("spam " * 1_000_000)  # 5 MB of output'
    nb.cells.remove(cells[first_tests[-1]])                       # its hidden tests deleted
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
            time.sleep(30)
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


def escape(release, answers: dict[str, str], targets: list[str]):
    nb = nbformat.read(release, 4)
    cells = _cells(nb)
    for grade_id, source in answers.items():
        cells[grade_id].source = source
    first = parts(release)[0][0]
    cells[first].source = answers[first] + "\n" + ESCAPE.format(targets=targets)
    return nb
