"""The original jug as an oracle: run a scenario under jug 2.7.0 and under
this project, and compare what they report and compute.

The original re-runs the jugfile for every command, so whatever it reports
is the truth a manifest must agree with.  It is installed from the package
index into a virtual environment created once per machine (under
``$JUG_TEST_CACHE``, default ``~/.cache/jug-tests``) by the same code the
benchmarks use; ``.ci/run`` sets ``JUG_ORACLE_REQUIRED=1`` so that a failed
install fails the run instead of skipping the differential tests.

    def test_env_sets_task_count(differential):
        scenario = differential.scenario({"jugfile.py": JUGFILE})
        scenario.run("execute", "jugfile.py", env={"N": "3"})
        scenario.assert_same("status", "jugfile.py", env={"N": "5"})

A :class:`Scenario` keeps two copies of the same files, one per
implementation, so that each has its own store.
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from jugtest import REPO, jug_env, with_variables

ORIGINAL_VERSION = "2.7.0"
INSTALL_HINT = (f"jug {ORIGINAL_VERSION} could not be installed from the package index "
                "(set JUG_ORACLE_REQUIRED=1 to make this an error)")


def cache_dir():
    return Path(os.environ.get("JUG_TEST_CACHE") or Path.home() / ".cache" / "jug-tests")


def ensure_original():
    """``Path`` of the venv holding jug 2.7.0 (created once, under a file
    lock so that concurrent test runs do not install it twice)."""
    sys.path.insert(0, REPO)
    try:
        from benchmarks.implementations import ensure_original_venv
    finally:
        sys.path.remove(REPO)
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return ensure_original_venv(directory, log=lambda line: print(line, file=sys.stderr))


def original_env(**extra):
    """The environment the original runs in: ours kept off its path
    (``extra`` as for :func:`jugtest.jug_env`: None unsets)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return with_variables(env, extra)


class Implementation:
    """One jug, run as a subprocess: ``label`` is "original" or "ours"."""

    def __init__(self, label, command, env_factory, python):
        self.label = label
        self._command = command
        self._env = env_factory
        self.interpreter = python

    def command(self, *args):
        return [*self._command, *map(str, args)]

    def env(self, extra=None):
        return self._env(**(extra or {}))

    def run(self, *args, cwd, env=None, timeout=300, input=None):
        return subprocess.run(self.command(*args), cwd=cwd, env=self.env(env),
                              capture_output=True, text=True, timeout=timeout, input=input)

    def python(self, code, cwd, env=None, timeout=300):
        """Run a Python script with this implementation's jug importable."""
        return subprocess.run([self.interpreter, "-c", textwrap.dedent(code)], cwd=cwd,
                              env=self.env(env), capture_output=True, text=True, timeout=timeout)


def original_implementation(venv):
    venv = Path(venv)
    return Implementation("original", [str(venv / "bin" / "jug")], original_env,
                          python=str(venv / "bin" / "python"))


# Like a console script, whose sys.path[0] is its bin/ directory: the current
# directory must not be importable unless the jugfile makes it so.
_OURS_SCRIPT = "import sys; del sys.path[0]; from jug.cli import main; sys.exit(main())"


def ours_implementation():
    return Implementation("ours", [sys.executable, "-c", _OURS_SCRIPT], jug_env,
                          python=sys.executable)


_ROW = re.compile(r"^\s*((?:\d+\s+){%d})(\S.*?)\s*$")


def parse_summary_table(text):
    """``{task name: [counts...]}`` and the column titles, from the table
    both implementations print (the original wraps long names onto
    continuation lines; ours does not).  Lines outside the table are
    ignored."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.rstrip().endswith("Task name"):
            break
    else:
        raise AssertionError(f"no summary table in:\n{text}")
    titles = lines[start].split()[:-2]
    row = re.compile(_ROW.pattern % len(titles))
    rows = []  # [name, counts]: a wrapped name may begin as another name does
    for line in lines[start + 2:]:
        if line.startswith("..."):
            break
        match = row.match(line)
        if match:
            rows.append([match.group(2), [int(v) for v in match.group(1).split()]])
        elif line.strip() and rows:  # a wrapped name goes on
            rows[-1][0] += line.strip()
    return titles, {name: dict(zip(titles, counts)) for name, counts in rows}


class Outcome:
    """What one command printed and returned under one implementation."""

    def __init__(self, label, proc):
        self.label = label
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def table(self):
        return parse_summary_table(self.stdout)[1]

    def __repr__(self):
        return (f"<{self.label}: exit {self.returncode}\nstdout:\n{self.stdout}\n"
                f"stderr:\n{self.stderr}>")


class Scenario:
    """The same files in two directories, one per implementation."""

    def __init__(self, root, files, original, ours):
        self.root = Path(root)
        self.implementations = {"original": original, "ours": ours}
        self.dirs = {}
        for label in self.implementations:
            directory = self.root / label
            directory.mkdir(parents=True)
            self.dirs[label] = directory
        self.write(files)

    def write(self, files):
        """Write (or rewrite) files in both copies; a value of None deletes."""
        for label, directory in self.dirs.items():
            for relative, text in files.items():
                path = directory / relative
                if text is None:
                    if path.is_dir():
                        shutil.rmtree(path)
                    elif path.exists():
                        path.unlink()
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(text, bytes):
                    path.write_bytes(text)
                else:
                    path.write_text(textwrap.dedent(text).lstrip("\n"))

    def each(self, function):
        """Call ``function(directory)`` in both copies (touch a file, ...)."""
        for directory in self.dirs.values():
            function(directory)

    def run(self, *args, env=None, timeout=300, only=None):
        """Run ``jug ARGS`` under both (or ``only`` one); ``{label: Outcome}``."""
        outcomes = {}
        for label, implementation in self.implementations.items():
            if only is not None and label != only:
                continue
            proc = implementation.run(*args, cwd=self.dirs[label], env=env, timeout=timeout)
            outcomes[label] = Outcome(label, proc)
        return outcomes

    def execute(self, jugfile="jugfile.py", *extra, env=None, check=True):
        outcomes = self.run("execute", jugfile, "--will-cite", *extra, env=env)
        if check:
            for outcome in outcomes.values():
                assert outcome.returncode == 0, outcome
        return outcomes

    def assert_same_status(self, jugfile="jugfile.py", *extra, env=None):
        """``jug status`` tables and exit codes agree, and ``jug check``
        exit codes agree; returns the outcomes of status."""
        status = self.run("status", jugfile, *extra, env=env)
        original, ours = status["original"], status["ours"]
        assert original.returncode == ours.returncode, (original, ours)
        assert ours.table() == original.table(), (original, ours)
        check = self.run("check", jugfile, *extra, env=env)
        assert check["original"].returncode == check["ours"].returncode, (check["original"],
                                                                           check["ours"])
        return status

    def python(self, code, env=None):
        """Run a script under both; ``{label: CompletedProcess}``."""
        return {label: implementation.python(code, self.dirs[label], env=env)
                for label, implementation in self.implementations.items()}


class Differential:
    """Makes scenarios; one per test, under the test's tmp_path."""

    def __init__(self, tmp_path, original, ours):
        self.tmp_path = Path(tmp_path)
        self.original = original
        self.ours = ours
        self._count = 0

    def scenario(self, files):
        self._count += 1
        return Scenario(self.tmp_path / f"scenario-{self._count}", files, self.original,
                        self.ours)
