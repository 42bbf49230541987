"""`lottery-keras course grade`: nbgrader's autograde with the execution step in a sandbox.

nbgrader's ``autograde`` runs, per submission, a sanitising pass (restoring the test cells from
the gradebook) and then ``Execute`` -> ``LimitOutput`` -> ``SaveAutoGrades`` ... in the
instructor's process, with the student's code in a kernel that can read and write everything
the instructor can. Here only the ``Execute`` step changes: :class:`SandboxedExecute` copies the
one notebook (and the files beside it) to a scratch folder, runs nbgrader's own ``Execute`` on
it inside :mod:`~lottery_keras.course.sandbox`, and takes back *only the outputs* of each cell
(the sources, metadata and test cells stay those of the sanitised notebook). Everything else —
the gradebook, ``autograded/``, late penalties — is stock nbgrader on the trusted side.

The kernel inside is configured for grading: it imports TensorFlow while it starts if the
notebook's graded part uses it, seals the checkers' world before the first cell
(:func:`lottery_keras.course.guard.seal_kernel`), and it does not capture C-level output
(``IPKernelApp.capture_fd_output = False``): a library's log line written straight to file
descriptor 2 (TensorFlow's "failed call to cuInit" on a machine with CUDA libraries and no GPU)
goes to the sandbox's log, never into whichever cell happens to be running, so it cannot turn a
correct answer's cell into a 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from lottery_keras.course import sandbox

KERNEL_CONFIG = """\
c.IPKernelApp.capture_fd_output = False
c.IPKernelApp.exec_lines = [{preload!r},
    "import lottery_keras.course.guard as _lk_guard; _lk_guard.seal_kernel(); del _lk_guard"]
"""
# A notebook that uses TensorFlow up to its last graded cell gets it imported while the kernel
# starts (under nbclient's start-up limit, not a cell's 30 s: the import alone can take that
# long on a busy machine).
_USES_TF = re.compile(r"\b(tf|keras|tensorflow)\b")
_PRELOAD_TF = "import lottery_keras; lottery_keras.tf"
_PASSED_ENV = ("LOTTERY_KERAS_FAST", "LOTTERY_KERAS_DATA", "PYTHONPATH", "TF_USE_LEGACY_KERAS")
MAX_RESULT_MB = 32


def _error_output(reason: str) -> dict:
    return {"output_type": "error", "ename": "GradingSandboxError", "evalue": reason,
            "traceback": [f"GradingSandboxError: {reason}"]}


def merge_outputs(nb, text: str | None, reason: str) -> list[str]:
    """Copy the outputs of the executed notebook `text` into `nb`; return the problems found.

    The executed notebook comes from the sandbox, so it is only data: it must have the same
    cells with the same sources, and only outputs and execution counts are taken from it. If it
    is missing or does not match, every code cell gets an error output (so scores 0).
    """
    import nbformat

    problems = []
    try:
        if text is None:
            raise ValueError(reason)
        done = nbformat.reads(text, as_version=4)
        nbformat.validate(done)
        if len(done.cells) != len(nb.cells):
            raise ValueError("the executed notebook has a different number of cells")
        for mine, theirs in zip(nb.cells, done.cells, strict=True):
            if (mine.cell_type, mine.source) != (theirs.cell_type, theirs.source):
                raise ValueError("the executed notebook's cells differ from the submission's")
    except Exception as err:  # anything wrong with untrusted data: no credit
        problems.append(str(err) or type(err).__name__)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(_error_output(problems[0]))]
        return problems
    for mine, theirs in zip(nb.cells, done.cells, strict=True):
        if mine.cell_type == "code":
            mine.outputs = theirs.outputs
            mine.execution_count = theirs.execution_count
    return problems


def _preprocessor_class():
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets import Integer, Unicode

    class SandboxedExecute(NbGraderPreprocessor):
        """nbgrader's Execute, run in a bubblewrap sandbox on a scratch copy of one submission."""

        timeout = Integer(30, help="seconds allowed per cell (as nbgrader's Execute)").tag(
            config=True)
        cpu_seconds = Integer(sandbox.Limits.cpu_seconds).tag(config=True)
        memory_mb = Integer(sandbox.Limits.memory_mb).tag(config=True)
        processes = Integer(sandbox.Limits.processes).tag(config=True)
        file_mb = Integer(sandbox.Limits.file_mb).tag(config=True)
        wall_seconds = Integer(sandbox.Limits.wall_seconds).tag(config=True)
        course_root = Unicode("", help="hidden in the sandbox if a visible folder holds it").tag(
            config=True)

        def preprocess(self, nb, resources):
            import nbformat

            folder = Path(resources["metadata"]["path"])
            limits = sandbox.Limits(self.cpu_seconds, self.memory_mb, self.processes,
                                    self.file_mb, self.wall_seconds)
            with tempfile.TemporaryDirectory(prefix="lottery-keras-grade-") as tmp:
                scratch = Path(tmp) / "submission"
                shutil.copytree(folder, scratch, symlinks=True,
                                ignore=shutil.ignore_patterns("*.ipynb"))
                nbformat.write(nb, scratch / "notebook.ipynb")
                sandbox.prepare(scratch)
                env = {"HOME": "/tmp", "IPYTHONDIR": "/tmp/ipython", "MPLBACKEND": "Agg",
                       "MPLCONFIGDIR": "/tmp/matplotlib",
                       "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                       "NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1",
                       **{k: os.environ[k] for k in _PASSED_ENV if k in os.environ}}
                argv = [sys.executable, "-m", "lottery_keras.course.grade", "notebook.ipynb",
                        "executed.ipynb", str(self.timeout)]
                hide = [Path(self.course_root)] if self.course_root else []
                result = sandbox.run(argv, scratch, limits=limits, env=env, hide=hide)
                out = scratch / "executed.ipynb"
                text, reason = None, _reason(result, limits)
                if out.is_file() and not out.is_symlink() and (
                        out.stat().st_size <= MAX_RESULT_MB << 20):
                    text = out.read_text(encoding="utf-8", errors="replace")
            problems = merge_outputs(nb, text, reason)
            for problem in problems:
                self.log.warning("sandbox: %s\n%s", problem, result.log[-2000:])
            return nb, resources

    return SandboxedExecute


def _reason(result, limits) -> str:
    if result.returncode is None:
        return f"the submission ran past the {limits.wall_seconds} s limit and was stopped"
    return f"the sandboxed run ended with status {result.returncode} and no result"


def autograde_preprocessors():
    """nbgrader's autograde list with its Execute replaced by the sandboxed one."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    sandboxed = _preprocessor_class()
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [sandboxed if pp is Execute else pp for pp in default], sandboxed


def grade(assignment: str, students=None, *, root=".", force=False, timeout=30,
          limits: sandbox.Limits | None = None) -> int:
    """Autograde `assignment` for `students` (default: every submission); 0 when all graded."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config, PyFileConfigLoader

    sandbox.bwrap()   # refuse before anything is touched
    limits = limits or sandbox.Limits()
    root = str(Path(root).resolve())
    inside = [p for p in sandbox._readonly() if p == root or p.startswith(root + os.sep)]
    if inside:
        raise ValueError(f"the course folder {root} contains {inside[0]}, which the sandbox "
                         "must show; keep the course folder outside the Python environment")
    preprocessors, sandboxed = autograde_preprocessors()
    config = Config()
    if Path(root, "nbgrader_config.py").is_file():   # the course's own settings (course_id ...)
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=root).load_config())
    config.CourseDirectory.root = root
    config.Autograde.autograde_preprocessors = preprocessors
    config[sandboxed.__name__] = Config(timeout=timeout, course_root=root, **limits.__dict__)
    api = NbGraderAPI(config=config)
    ids = list(students) if students else sorted(api.get_submitted_students(assignment))
    failed = 0
    for student in ids:
        result = api.autograde(assignment, student, force=force, create=True)
        print(f"{student}: {'graded' if result['success'] else 'FAILED'}")
        if not result["success"]:
            failed += 1
            print(result.get("log", "") + result.get("error", ""), file=sys.stderr)
    return 1 if failed else 0


def _inside(source: str, dest: str, timeout: str) -> None:
    """Runs in the sandbox: nbgrader's Execute and LimitOutput on one notebook."""
    import nbformat
    from nbgrader.preprocessors import Execute, LimitOutput

    nb = nbformat.read(source, as_version=4)
    graded = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {})
              .get("grade")]
    uses_tf = any(_USES_TF.search(c.source) for c in nb.cells[:max(graded, default=-1) + 1]
                  if c.cell_type == "code")
    profile = Path(os.environ["IPYTHONDIR"]) / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(
        KERNEL_CONFIG.format(preload=_PRELOAD_TF if uses_tf else "pass"))
    execute = Execute(timeout=int(timeout), startup_timeout=600,
                      extra_arguments=["--HistoryManager.hist_file=:memory:"])
    try:
        execute.preprocess(nb, {"metadata": {"path": os.getcwd()}})
    except Exception as err:  # the kernel died: what ran keeps its outputs, the rest fails
        reason = f"the kernel stopped before this cell ran ({type(err).__name__})"
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count") is None:
                cell.outputs = [nbformat.from_dict(_error_output(reason))]
    nb, _ = LimitOutput().preprocess(nb, {})
    Path(dest).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    _inside(*sys.argv[1:4])
