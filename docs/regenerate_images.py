"""Make the pictures of the guide with `jug graph` itself.

    python docs/regenerate_images.py            # rewrites docs/images/
    python docs/regenerate_images.py --output-dir /tmp/pictures

Each picture is one of the examples/ run to a known point in a scratch copy,
then drawn by `jug graph -o`.  It needs Graphviz's `dot`; the pictures
depend on its version (tests/test_docs_images.py compares them only when the
versions match).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# picture: (example, jugfile, environment, commands run before `jug graph`, graph options)
PICTURES = {
    "graph-text-partial.png": (
        "text", "jugfile.py", {"TEXT_SLEEP": "0"},
        [["execute", "--will-cite", "--pattern", "/get_data|count_words/"]], []),
    "graph-primes.svg": (
        "primes", "primes.py", {"PRIMES_SLEEP": "0"},
        [["execute", "--will-cite", "--name", "is_prime"]], []),
    "graph-barrier.svg": (
        "barrier", "jugfile.py", {"BARRIER_SLEEP": "0"},
        [["execute", "--will-cite", "--name", "keep"]], []),
    "graph-wordcount-full.svg": (
        "wordcount", "jugfile.py", {}, [], ["--full"]),
}

# Pictures made by another script, which this one does not remake: a
# browser's screenshot of a live run differs at every run.
MADE_ELSEWHERE = {
    "webstatus-primes.png": "python tests/web_screenshot.py docs/images/webstatus-primes.png",
}


def jug(args, cwd, env):
    command = [sys.executable, "-c", "import sys; from jug.cli import main; sys.exit(main())",
               *args]
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"jug {' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def make(name, output_dir):
    """Draw picture ``name`` into ``output_dir``; returns its path."""
    example, jugfile, extra_env, commands, options = PICTURES[name]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **extra_env)
    with tempfile.TemporaryDirectory() as scratch:
        work = os.path.join(scratch, example)
        # without a store left by a run in the checkout: the pictures show states
        shutil.copytree(os.path.join(REPO, "examples", example), work,
                        ignore=shutil.ignore_patterns("*.jugdata"))
        for args in commands:
            jug([args[0], jugfile, *args[1:]], work, env)
        target = os.path.join(os.path.abspath(output_dir), name)
        jug(["graph", jugfile, *options, "-o", target], work, env)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=os.path.join(HERE, "images"))
    parser.add_argument("names", nargs="*", help="pictures to make (default: all)")
    args = parser.parse_args(argv)
    os.makedirs(args.output_dir, exist_ok=True)
    for name in args.names or sorted(PICTURES):
        print(make(name, args.output_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
