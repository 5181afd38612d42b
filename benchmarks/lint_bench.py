"""How long ``jug lint`` takes on a generated 2,000-line jugfile that imports
two local modules.

    python benchmarks/lint_bench.py [--lines 2000] [--module-lines 400] [--repeat 7]

The project is realistic in shape.  The jugfile has task functions with
docstrings, loops and comments (most of its lines), and per block a helper
that builds the block's tasks from a listing made by a function of the first
local module (``io_lib``), with noise from a generator passed to the second
(``features_lib``), ``mapreduce.map``, a dict comprehension of tasks; the
helpers are called from ``main()`` under ``if __name__ == "__main__"``.  The
two local modules are files of plain helper functions; the lint follows
every call into them.  Each run is a fresh process (``jug lint FILE``, as a
user runs it), so interpreter start-up and imports are included.  Prints the
wall-clock time (min and median) and the CPU time of the child process
(user + sys), which is what the lint costs when the machine is not shared.
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

    import numpy as np
    from jug import TaskGenerator, Task, barrier, bvalue, value, mapreduce
    from jug.utils import cached_glob, identity

    import features_lib
    import io_lib

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


    def build_{i}(folder, generator):
        """The tasks of set {i}: features per file, scores per constant."""
        inputs = io_lib.list_inputs(os.path.join(folder, "set{i}"), "*.txt")
        feats = [features_{i}(p) for p in inputs]
        scores = {{c: score_{i}(feats, c) for c in (0.1, 1.0, 10.0)}}
        noise = features_lib.jitter(generator, 8)
        best = mapreduce.map(score_{i}, [(f, 1.0) for f in feats], map_step=4)
        return scores, best, noise
    ''')

FOOTER = textwrap.dedent('''\


    if __name__ == "__main__":
        main()
    ''')

MODULE_FUNCTION = textwrap.dedent('''\


    def {name}_{i}(values, scale={i}.0):
        """Helper {i}: scale, clip and summarise ``values``."""
        kept = []
        for value in values:
            if value is None:
                continue
            kept.append(min(max(value * scale, -1.0), 1.0))
        total = sum(kept)
        return {{"n": len(kept), "total": total, "mean": total / max(len(kept), 1)}}
    ''')

IO_LIB = textwrap.dedent('''\
    """Reading the inputs (generated)."""
    import glob
    import os


    def list_inputs(folder, pattern):
        """Every input of ``folder``, sorted."""
        return sorted(glob.glob(os.path.join(folder, pattern)))
    ''')

FEATURES_LIB = textwrap.dedent('''\
    """Feature helpers (generated)."""
    import numpy as np


    def jitter(generator, n):
        """Noise from the generator the caller seeded."""
        return [float(x) for x in generator.normal(size=n)]
    ''')


def generated_module(header: str, name: str, lines: int) -> str:
    parts = [header]
    count = header.count("\n")
    index = 0
    while count + MODULE_FUNCTION.count("\n") <= lines:
        parts.append(MODULE_FUNCTION.format(name=name, i=index))
        count += MODULE_FUNCTION.count("\n")
        index += 1
    parts.append("# end of the generated module\n" * (lines - count))
    return "".join(parts)


def generated_jugfile(lines: int) -> str:
    """A jugfile of exactly ``lines`` lines."""
    parts = [HEADER]
    count = HEADER.count("\n")
    index = 0
    footer_lines = FOOTER.count("\n") + 5
    while count + BLOCK.count("\n") + footer_lines + index + 1 <= lines:
        parts.append(BLOCK.format(i=index))
        count += BLOCK.count("\n")
        index += 1
    calls = "".join(f'    results.append(build_{i}("data", rng))\n' for i in range(index))
    main = f"\n\ndef main():\n    results = []\n{calls}    return results\n"
    parts.append(main)
    count += main.count("\n")
    parts.append(FOOTER)
    count += FOOTER.count("\n")
    parts.append("# end of the generated jugfile\n" * (lines - count))
    return "".join(parts)


def write_project(directory: str, lines: int, module_lines: int) -> str:
    files = {"jugfile.py": generated_jugfile(lines),
             "io_lib.py": generated_module(IO_LIB, "read", module_lines),
             "features_lib.py": generated_module(FEATURES_LIB, "feature", module_lines)}
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as file:
            file.write(text)
    return os.path.join(directory, "jugfile.py")


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
    parser.add_argument("--module-lines", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        path = write_project(directory, options.lines, options.module_lines)
        run_once(path)   # warm the file system cache and the .pyc files
        runs = [run_once(path) for _ in range(options.repeat)]
    walls = [wall for wall, _, _ in runs]
    cpus = [cpu for _, cpu, _ in runs]
    print(f"jug lint on a {options.lines}-line jugfile with two {options.module_lines}-line "
          f"local modules ({options.repeat} runs, exit {runs[0][2]}): wall min "
          f"{min(walls):.3f} s, median {statistics.median(walls):.3f} s; CPU min "
          f"{min(cpus):.3f} s, median {statistics.median(cpus):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
