"""The two things being compared, and how to run each.

* ``original``: jug 2.7.0 from the package index, in a virtual environment
  created once under ``benchmarks/.cache/`` and run as ``<venv>/bin/jug``.
* ``ours``: this repository, installed (not in editable mode, so with
  compiled bytecode) into its own virtual environment under
  ``benchmarks/.cache/venv-ours`` at the start of every session, and run as
  ``<venv>/bin/jug``: both implementations then start the same way, from a
  venv whose interpreter reads no other site-packages.  Its dependencies are
  installed once; the repository is reinstalled each time, so the working
  tree is what gets measured.  ``--ours-from-tree`` runs the working tree
  with the current interpreter and ``PYTHONPATH`` instead (no install).

``--ours-cmd`` replaces ours by any command (the original's own ``jug`` to
check the harness against itself, or an installed build); ``--ours-kind``
then says which command conventions it follows.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_VERSION = "2.7.0"
ORIGINAL_REQUIREMENTS = (f"jug=={ORIGINAL_VERSION}", "numpy", "redis")
OURS_BOOTSTRAP = "from jug.cli import run; run()"


@dataclass(frozen=True)
class Implementation:
    """How to run one jug.

    ``kind`` is "original" or "new": it decides the command conventions
    (the new jug has ``compile`` and ``graph --dot``; the original has
    neither and renders with ``dot``).
    """

    label: str
    argv: tuple
    python: str
    kind: str
    env: dict = field(default_factory=dict, hash=False, compare=False)
    description: str = ""

    @property
    def compiles(self):
        return self.kind == "new"

    def jug(self, *args):
        return [*self.argv, *args]

    def environ(self, **extra):
        env = dict(self.env)
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def graph_args(self, jugfile):
        if self.kind == "new":
            return self.jug("graph", jugfile, "--dot")
        return self.jug("graph", jugfile)

    def graph_environ(self, **extra):
        env = self.environ(**extra)
        if self.kind == "original":
            # Keep only the venv on PATH so `dot` is not found: jug then
            # writes the .dot file, says it could not render, and exits 0.
            env["PATH"] = str(Path(self.python).parent)
        return env


def _base_environ():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def original_venv_path(cache_dir):
    return Path(cache_dir) / f"venv-jug-{ORIGINAL_VERSION}"


def _ensure_venv(venv, requirements, log, timeout):
    """Create ``venv`` with ``requirements`` installed, once: a marker file is
    written last, so an interrupted install is redone.  Returns its python."""
    python = str(venv / "bin" / "python")
    marker = venv / ".bench-complete"
    if not marker.exists():
        log(f"creating {venv} with {' '.join(requirements)} (once)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                       timeout=timeout)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *requirements], check=True, timeout=timeout)
        marker.write_text(" ".join(requirements) + "\n")
    return python


def ensure_original_venv(cache_dir, log=print, timeout=900):
    """The virtual environment holding the original jug (created once)."""
    venv = original_venv_path(cache_dir)
    _ensure_venv(venv, ORIGINAL_REQUIREMENTS, log, timeout)
    return venv


OURS_DEPENDENCIES = ("click", "libcst", "networkx", "numpy", "graphviz", "redis", "cloudpickle")


def ours_venv_path(cache_dir):
    return Path(cache_dir) / "venv-ours"


def ensure_ours_venv(cache_dir, log=print, timeout=900):
    """The venv of ours: dependencies installed once, the working tree
    installed again every time; returns the venv path."""
    venv = ours_venv_path(cache_dir)
    python = _ensure_venv(venv, OURS_DEPENDENCIES, log, timeout)
    log(f"installing this repository into {venv}")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--force-reinstall", str(REPO_ROOT)], check=True,
                   timeout=timeout, env=_base_environ())
    return venv


def _venv_implementation(venv, label, kind, description):
    venv = Path(venv)
    return Implementation(label=label, argv=(str(venv / "bin" / "jug"),),
                          python=str(venv / "bin" / "python"), kind=kind,
                          env=_base_environ(), description=description)


def original_implementation(venv):
    return _venv_implementation(venv, "original", "original",
                                f"jug {ORIGINAL_VERSION} from the package index ({venv})")


def ours_installed_implementation(venv):
    """Ours, installed in its venv by :func:`ensure_ours_venv`."""
    return _venv_implementation(venv, "ours", "new", f"this repository, installed into {venv}")


def ours_implementation(ours_cmd=None, ours_kind=None):
    """Ours from the working tree (``--ours-from-tree``), or whatever
    ``--ours-cmd`` says."""
    if ours_cmd is None:
        env = _base_environ()
        env["PYTHONPATH"] = str(REPO_ROOT)
        return Implementation(
            label="ours",
            argv=(sys.executable, "-c", OURS_BOOTSTRAP),
            python=sys.executable,
            kind=ours_kind or "new",
            env=env,
            description=f"this repository ({REPO_ROOT}) with {sys.executable}",
        )
    argv = shlex.split(ours_cmd)
    if os.sep in argv[0] and not os.path.isabs(argv[0]):
        argv[0] = os.path.abspath(argv[0])  # commands run in temporary directories
    argv = tuple(argv)
    return Implementation(
        label="ours",
        argv=argv,
        python=_interpreter_of(argv[0]),
        kind=ours_kind or "original",
        env=_base_environ(),
        description=f"substituted by --ours-cmd {ours_cmd!r} ({ours_kind or 'original'} conventions)",
    )


def _interpreter_of(command):
    """The Python a console script runs with (its shebang), else ours."""
    try:
        with open(command, "rb") as fh:
            first = fh.readline().decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return sys.executable
