"""JUG102: the current time reaches a task."""

from jug.compiler.lint.model import ERROR, VALUE, LintRule

_CLOCKS = frozenset({
    "time.time", "time.time_ns", "time.perf_counter", "time.perf_counter_ns",
    "time.monotonic", "time.monotonic_ns", "time.process_time", "time.process_time_ns",
    "time.thread_time", "time.thread_time_ns", "datetime.datetime.now",
    "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "pandas.Timestamp.now", "pandas.Timestamp.today", "pandas.Timestamp.utcnow",
})

# The current time when called without a time argument.
_CLOCK_WITHOUT_ARGUMENT = {"time.localtime": 0, "time.gmtime": 0, "time.ctime": 0,
                           "time.asctime": 0, "time.strftime": 1}


class ClockTime(LintRule):
    """The clock reads differently every time the jugfile is loaded, so a
    task that receives the time (or anything computed from it: a date string,
    an output directory named after today) is a new task on every run and is
    recomputed forever.

    Flagged: ``time.time``, ``time.perf_counter``, ``time.monotonic``,
    ``time.process_time`` (and their ``_ns`` forms), ``datetime.now``,
    ``datetime.utcnow``, ``datetime.today``, ``date.today``, and
    ``time.localtime()``/``gmtime()``/``ctime()``/``strftime(fmt)`` without a
    time argument.  Timing code with the clock is fine as long as the value
    does not reach a task.  Pass a fixed value instead: a date written in the
    jugfile, or one given on the command line (``jug execute jugfile.py
    2024-01-31`` reaches the jugfile as ``sys.argv``).
    """

    code = "JUG102"
    name = "clock-time"
    severity = ERROR
    summary = "The current time reaches a task argument."
    message = ("{source} ({where}) reaches {argument} of task `{task}`; pass a fixed "
               "value instead (written in the jugfile or given on the command line)")

    VALID = (
        """\
import time
from jug import TaskGenerator

@TaskGenerator
def report(day):
    return f"report for {day}"

start = time.time()
summary = report("2024-01-31")
print("built the tasks in", time.time() - start, "seconds")
""",
    )
    INVALID = (
        """\
import time
from jug import TaskGenerator

@TaskGenerator
def train(data, seed):
    return data, seed

seed = int(time.time())
model = train([1, 2, 3], seed=seed)  # <- JUG102
""",
        """\
from datetime import date
from jug import TaskGenerator

@TaskGenerator
def report(day):
    return f"report for {day}"

summary = report(date.today().isoformat())  # <- JUG102
""",
    )

    def source(self, call):
        name = call.matches(_CLOCKS)
        if name is not None:
            return call.taint(self, VALUE, f"clock time from {name}()")
        name = call.matches(_CLOCK_WITHOUT_ARGUMENT)
        if name is not None and len(call.args) <= _CLOCK_WITHOUT_ARGUMENT[name]:
            return call.taint(self, VALUE, f"clock time from {name}()")
        return None
