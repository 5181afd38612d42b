"""``jug compile --check-determinism``: trace twice in child processes
(different ``PYTHONHASHSEED``, clock shifted by days) and compare the task
hashes, naming the tasks and arguments that differ."""

import json
import os
import subprocess
import sys

from jug.errors import JugError

_PROBE = r"""
import datetime, json, os, sys, time
from jug.hash import hash_one
hash_one([datetime.date(2000, 1, 1), datetime.datetime(2000, 1, 1)])  # bind the real classes
shift = float(os.environ["JUG_CLOCK_SHIFT"])
_time, _time_ns = time.time, time.time_ns
time.time = lambda: _time() + shift
time.time_ns = lambda: _time_ns() + int(shift * 1e9)
_datetime, _delta = datetime.datetime, datetime.timedelta(seconds=shift)
class _ShiftedDatetime(_datetime):
    @classmethod
    def now(cls, tz=None):
        return _datetime.now(tz) + _delta
    @classmethod
    def utcnow(cls):
        return _datetime.utcnow() + _delta
    @classmethod
    def today(cls):
        return _datetime.now() + _delta
class _ShiftedDate(datetime.date):
    @classmethod
    def today(cls):
        return (_datetime.now() + _delta).date()
datetime.datetime = _ShiftedDatetime
datetime.date = _ShiftedDate
from jug.compiler.determinism import _probe_main
_probe_main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
"""


def _probe_main(output, jugfile, jugdir, argv):
    """In a child process: trace and write every task's hash, name, line and
    per-argument digests as JSON to ``output``."""
    from jug.compiler.trace import trace_jugfile
    from jug.hash import hash_one
    from jug.store import open_store

    store = open_store(jugdir)
    trace = trace_jugfile(jugfile, store, argv=[jugfile, *argv])
    rows = []
    for task in trace.tasks:
        arguments = {str(i): _safe_hash(hash_one, arg) for i, arg in enumerate(task.args)}
        arguments.update({k: _safe_hash(hash_one, v) for k, v in task.kwargs.items()})
        rows.append([task.key, task.name, task.line, arguments])
    with open(output, "w") as handle:
        json.dump(rows, handle)


def _safe_hash(hash_one, obj):
    try:
        return hash_one(obj).decode()
    except Exception as error:  # reported as a difference, never a crash
        return f"unhashable: {error}"


def _trace_in_child(options, seed, shift):
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(seed)
    env["JUG_CLOCK_SHIFT"] = str(shift)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jug-determinism-") as scratch:
        output = os.path.join(scratch, "trace.json")
        proc = subprocess.run([sys.executable, "-c", _PROBE, output, options.jugfile,
                               options.jugdir, *options.argv[1:]], capture_output=True,
                              text=True, env=env)
        if proc.returncode != 0:
            raise JugError(f"jug compile --check-determinism: tracing {options.jugfile} "
                           f"failed:\n{proc.stderr.strip()}")
        with open(output) as handle:
            return json.load(handle)


def determinism_command(options, out):
    """Trace twice (different PYTHONHASHSEED, clock shifted by a day and a
    bit) and compare task hashes; 0 when identical, 1 otherwise."""
    first = _trace_in_child(options, seed=1, shift=0.0)
    second = _trace_in_child(options, seed=2, shift=86400 * 3 + 12345.678)
    differences = []
    for index in range(max(len(first), len(second))):
        a = first[index] if index < len(first) else None
        b = second[index] if index < len(second) else None
        if a is None or b is None or a[0] != b[0]:
            differences.append((index, a, b))
    if not differences:
        print(f"Deterministic: two traces of {options.jugfile} gave the same {len(first)} "
              "task hashes.", file=out)
        return 0
    print(f"Not deterministic: {len(differences)} of {max(len(first), len(second))} task "
          f"hashes differ between two traces of {options.jugfile} (different PYTHONHASHSEED "
          "and clock).", file=out)
    for index, a, b in differences[:10]:
        row = a or b
        name, line = row[1], row[2]
        where = f"{options.jugfile}:{line}" if line else options.jugfile
        argument = _differing_argument(a, b)
        print(f"  {where}: task {name}{argument}", file=out)
    if len(differences) > 10:
        print(f"  ... and {len(differences) - 10} more", file=out)
    print("Run `jug lint` to find the nondeterministic source.", file=out)
    return 1


def _differing_argument(a, b):
    if a is None or b is None:
        return " exists in only one of the traces (the number of tasks differs)"
    if a[1] != b[1]:
        return f" became {b[1]} (the tasks are created in a different order)"
    names = [k for k in a[3] if a[3].get(k) != b[3].get(k)]
    names += [k for k in b[3] if k not in a[3]]
    if not names:
        return " (its dependencies differ)"
    described = ", ".join(f"argument {k}" if k.isdigit() else f"argument `{k}`" for k in names)
    return f": {described} differ{'s' if len(names) == 1 else ''}"
