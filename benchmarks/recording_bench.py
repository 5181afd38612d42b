"""What recording the observations of a trace costs (issue 10's target:
under 10% of the trace time on the benchmark jugfiles).

    python benchmarks/recording_bench.py [--sizes 1000,100000] [--repeat 7] [--only fanout]

Each run is a fresh process that traces one of ``benchmarks/jugfiles/*.py``
into an in-memory store, either bare (``trace_jugfile``) or as ``jug
compile`` does (inside :class:`jug.compiler.observe.Observer`, then
:func:`jug.compiler.freshness.record_observations`, which fingerprints the
jugfile and what it read).  Runs alternate bare/observed; the table gives
the median (and min) of each, in ms of CPU time (the machine is shared:
wall-clock time mostly measures the neighbours), and the overhead of the
medians.
Payload encoding and saving are left out: they are the same either way.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JUGFILES = os.path.join(REPO, "benchmarks", "jugfiles")

CHILD = r"""
import sys, time
jugfile, mode = sys.argv[1], sys.argv[2]
from jug.store import open_store
from jug.compiler.trace import trace_jugfile
from jug.compiler.observe import Observer
from jug.compiler.freshness import record_observations, user_modules
store = open_store("dict_store")
before = set(sys.modules)
started = time.process_time()
if mode == "observed":
    with Observer() as observer:
        trace = trace_jugfile(jugfile, store, argv=[jugfile])
    record_observations(jugfile, observer, user_modules(jugfile, before))
else:
    trace = trace_jugfile(jugfile, store, argv=[jugfile])
print(time.process_time() - started, len(trace.graph))
"""


def measure(jugfile, size, mode, directory):
    env = dict(os.environ, PYTHONPATH=REPO, JUG_BENCH_N=str(size))
    proc = subprocess.run([sys.executable, "-c", CHILD, jugfile, mode], cwd=directory, env=env,
                          capture_output=True, text=True, check=True)
    seconds, _ = proc.stdout.split()
    return float(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args(argv)
    names = sorted(name[:-3] for name in os.listdir(JUGFILES) if name.endswith(".py"))
    if args.only:
        names = [name for name in names if any(pattern in name for pattern in args.only)]
    print("| jugfile | N | bare ms (min) | observed ms (min) | overhead |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in names:
        sizes = [int(s) for s in args.sizes.split(",")]
        if name in ("single", "largeargs"):  # their size does not depend on JUG_BENCH_N
            sizes = sizes[:1]
        for size in sizes:
            with tempfile.TemporaryDirectory() as directory:
                jugfile = os.path.join(directory, name + ".py")
                with open(os.path.join(JUGFILES, name + ".py")) as source, open(jugfile, "w") as out:
                    out.write(source.read())
                samples = {"bare": [], "observed": []}
                for _ in range(args.repeat):
                    for mode in samples:
                        samples[mode].append(measure(jugfile, size, mode, directory))
            bare, observed = (statistics.median(samples[m]) for m in ("bare", "observed"))
            print(f"| {name} | {size} | {bare * 1e3:.1f} ({min(samples['bare']) * 1e3:.1f}) | "
                  f"{observed * 1e3:.1f} ({min(samples['observed']) * 1e3:.1f}) | "
                  f"{(observed / bare - 1) * 100:+.1f}% |", flush=True)


if __name__ == "__main__":
    main()
