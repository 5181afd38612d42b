"""How long ``jug lint`` takes on a generated 2,000-line jugfile.

    python benchmarks/lint_bench.py [--lines 2000] [--repeat 5]

The jugfile is realistic in shape: task functions with docstrings, loops and
comments (most of the lines), and module-level code creating tasks from
sorted globs, comprehensions, dict comprehensions, a seeded generator and
``mapreduce.map`` (a fifth of the lines).  Each run is a fresh process
(``jug lint FILE``, as a user runs it), so interpreter start-up
and imports are included.  Prints the wall-clock time (min and median) and
the CPU time of the child process (user + sys), which is what the lint costs
when the machine is not shared.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = textwrap.dedent('''\
    """A feature-extraction pipeline, generated for the lint benchmark."""
    import os
    import random
    from glob import glob

    import numpy as np
    from jug import TaskGenerator, Task, barrier, bvalue, value, mapreduce
    from jug.utils import cached_glob, identity

    random.seed(1234)
    rng = np.random.default_rng(42)
    ''')

BLOCK = textwrap.dedent('''\


    @TaskGenerator
    def features_{i}(path, scale={i}):
        """Compute features of one image at a given scale."""
        data = np.loadtxt(path)
        out = []
        for row in data:
            # normalise each row, skipping empty ones
            if row.sum() == 0:
                continue
            out.append(row / row.sum() * scale)
        return np.array(out)


    @TaskGenerator
    def score_{i}(feats, c, gamma=0.1):
        total = 0.0
        for f in feats:
            total += float(np.exp(-gamma * (f ** 2).sum())) * c
        return total


    inputs_{i} = sorted(glob(os.path.join("data", "set{i}", "*.txt")))
    feats_{i} = [features_{i}(p) for p in inputs_{i}]
    scores_{i} = {{c: score_{i}(feats_{i}, c) for c in (0.1, 1.0, 10.0)}}
    noise_{i} = rng.normal(size=8)
    best_{i} = mapreduce.map(score_{i}, [(f, 1.0) for f in feats_{i}], map_step=4)
    ''')


def generated_jugfile(lines: int) -> str:
    """A jugfile of exactly ``lines`` lines."""
    parts = [HEADER]
    count = HEADER.count("\n")
    index = 0
    while count + BLOCK.count("\n") <= lines:
        parts.append(BLOCK.format(i=index))
        count += BLOCK.count("\n")
        index += 1
    parts.append("# end of the generated jugfile\n" * (lines - count))
    return "".join(parts)


def run_once(path: str) -> tuple:
    """(wall seconds, child CPU seconds, exit status) of one ``jug lint``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from jug.cli import main; main()", "lint", path],
                          cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"jug lint failed ({proc.returncode}):\n{proc.stderr}")
    return wall, cpu, proc.returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "jugfile.py")
        with open(path, "w") as file:
            file.write(generated_jugfile(options.lines))
        run_once(path)   # warm the file system cache and the .pyc files
        runs = [run_once(path) for _ in range(options.repeat)]
    walls = [wall for wall, _, _ in runs]
    cpus = [cpu for _, cpu, _ in runs]
    print(f"jug lint on a {options.lines}-line jugfile ({options.repeat} runs, exit "
          f"{runs[0][2]}): wall min {min(walls):.3f} s, median {statistics.median(walls):.3f} s; "
          f"CPU min {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
