"""``jug lint --fix`` and ``--diff`` through the front door, on a small
real project (a jugfile and a helper module, with data files): the fixed
files parse, keep their formatting and comments, give the same task hashes
when traced twice with different PYTHONHASHSEED (``jug compile
--check-determinism``) and on two different listing orders, and a second
``--fix`` changes nothing."""

import ast
import json
import os
import shutil
import tempfile
import textwrap

import pytest

from jugtest import run_jug

HELPERS = '''\
"""Inputs of the pipeline."""
import glob
import os


def input_files(folder):
    # every CSV of the folder, as the file system lists them
    return glob.glob(os.path.join(folder, "*.csv"))


def sample_names(folder):
    names = set()
    for path in input_files(folder):
        names.add(os.path.basename(path).split("_")[0])
    return names
'''

JUGFILE = '''\
"""Summarise CSV files per sample and tag."""
import os

from jug import TaskGenerator

from helpers import input_files, sample_names

TAGS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}


@TaskGenerator
def summarise(paths, tag):
    return len(paths), tag


@TaskGenerator
def combine(parts, header):
    return header, parts


files = input_files("data")
summaries = [summarise(files, tag) for tag in TAGS]
report = combine(summaries,
                 ", ".join(sample_names("data")))   # the header names every sample
first = summarise( (os.listdir("data"))[:2], "first" )  # odd spacing, kept
everything = combine(list(TAGS), "tags")
'''

FIXED_HELPERS = HELPERS.replace('return glob.glob(os.path.join(folder, "*.csv"))',
                                'return sorted(glob.glob(os.path.join(folder, "*.csv")))')
FIXED_JUGFILE = (JUGFILE
                 .replace("for tag in TAGS]", "for tag in sorted(TAGS)]")
                 .replace('", ".join(sample_names("data"))', '", ".join(sorted(sample_names("data")))')
                 .replace('(os.listdir("data"))[:2]', '(sorted(os.listdir("data")))[:2]')
                 .replace("combine(list(TAGS)", "combine(sorted(TAGS)"))

SAMPLES = ["s03_a.csv", "s01_b.csv", "s02_a.csv", "s01_a.csv", "s04_c.csv", "s02_b.csv"]


def make_project(directory, order=SAMPLES):
    os.makedirs(os.path.join(directory, "data"), exist_ok=True)
    with open(os.path.join(directory, "helpers.py"), "w") as handle:
        handle.write(HELPERS)
    with open(os.path.join(directory, "jugfile.py"), "w") as handle:
        handle.write(JUGFILE)
    for name in order:
        with open(os.path.join(directory, "data", name), "w") as handle:
            handle.write("x\n1\n")
    return directory


def read(directory, name):
    with open(os.path.join(directory, name)) as handle:
        return handle.read()


def task_hashes(directory):
    proc = run_jug("compile", "--json", "jugfile.py", cwd=directory, check=0)
    return [task["hash"] for task in json.loads(proc.stdout)["tasks"]]


def test_fix_rewrites_the_jugfile_and_its_helper_module(tmp_path):
    project = make_project(str(tmp_path))
    before = run_jug("compile", "--check-determinism", "jugfile.py", cwd=project)
    assert before.returncode == 1, before.stdout + before.stderr
    assert "Not deterministic" in before.stdout

    proc = run_jug("lint", "--fix", "jugfile.py", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "jug lint: fixed 5 places in helpers.py, jugfile.py" in proc.stderr
    assert proc.stdout == ""
    assert read(project, "helpers.py") == FIXED_HELPERS
    assert read(project, "jugfile.py") == FIXED_JUGFILE
    for name in ("helpers.py", "jugfile.py"):
        compile(ast.parse(read(project, name)), name, "exec")

    after = run_jug("compile", "--check-determinism", "jugfile.py", cwd=project)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "Deterministic: two traces of jugfile.py gave the same" in after.stdout

    again = run_jug("lint", "--fix", "jugfile.py", cwd=project, check=0)
    assert "jug lint: nothing to fix automatically" in again.stderr
    assert read(project, "helpers.py") == FIXED_HELPERS
    assert read(project, "jugfile.py") == FIXED_JUGFILE


def test_the_fixed_jugfile_does_not_depend_on_the_listing_order():
    """Two copies of the project whose data files were created in opposite
    orders: on tmpfs they are listed in different orders.  After the fix
    the task hashes are the same."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    scratch = tempfile.mkdtemp(prefix="jug-lint-fix-", dir=base)
    try:
        first = make_project(os.path.join(scratch, "a"), SAMPLES)
        second = make_project(os.path.join(scratch, "b"), list(reversed(SAMPLES)))
        orders_differ = os.listdir(os.path.join(first, "data")) != os.listdir(
            os.path.join(second, "data"))
        if orders_differ:
            assert task_hashes(first) != task_hashes(second)
        for project in (first, second):
            run_jug("lint", "--fix", "jugfile.py", cwd=project, check=0)
        assert task_hashes(first) == task_hashes(second)
        if not orders_differ:
            pytest.skip("this file system lists both folders in the same order; only the "
                        "fixed side was checked")
    finally:
        shutil.rmtree(scratch)


def test_diff_shows_the_fixes_and_changes_nothing(tmp_path):
    project = make_project(str(tmp_path))
    proc = run_jug("lint", "--diff", "jugfile.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert read(project, "jugfile.py") == JUGFILE
    assert read(project, "helpers.py") == HELPERS
    assert proc.stdout.startswith("--- a/helpers.py\n+++ b/helpers.py\n@@ ")
    assert ('-    return glob.glob(os.path.join(folder, "*.csv"))\n'
            '+    return sorted(glob.glob(os.path.join(folder, "*.csv")))\n') in proc.stdout
    assert "--- a/jugfile.py\n+++ b/jugfile.py\n" in proc.stdout
    assert '+everything = combine(sorted(TAGS), "tags")\n' in proc.stdout
    assert "jug lint: would fix 5 places in helpers.py, jugfile.py" in proc.stderr


def test_an_unseeded_generator_is_not_fixed_but_a_seed_is_suggested(tmp_path):
    source = textwrap.dedent("""\
        import numpy as np
        import random
        from jug import TaskGenerator

        @TaskGenerator
        def fit(x):
            return x

        rng = np.random.default_rng()
        model = fit(rng.normal())
        draw = fit(random.random())
        """)
    (tmp_path / "jugfile.py").write_text(source)
    proc = run_jug("lint", "--fix", "jugfile.py", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert (tmp_path / "jugfile.py").read_text() == source
    assert "jug lint: nothing to fix automatically" in proc.stderr
    assert ("jugfile.py:10:13: JUG101 not fixed automatically; suggestion: pass a seed: "
            "numpy.random.default_rng(SEED), SEED a number you choose") in proc.stderr
    assert ("jugfile.py:11:12: JUG101 not fixed automatically; suggestion: call "
            "random.seed(SEED) once before the first draw") in proc.stderr
    assert proc.stdout.count("JUG101") == 2


# -- what is not rewritten -------------------------------------------------------------

def fixed(tmp_path, source):
    from jug.compiler.lint import fix_paths

    path = tmp_path / "jugfile.py"
    path.write_text(textwrap.dedent(source))
    outcome = fix_paths([str(path)], write=True)
    return path.read_text(), outcome


def test_an_iterator_used_with_next_and_a_walk_are_left_alone(tmp_path):
    source = """\
        import glob, os
        from pathlib import Path
        from jug import TaskGenerator

        @TaskGenerator
        def merge(x):
            return x

        first = merge(next(glob.iglob("*.txt")))
        found = Path(".").glob("*.csv")
        also_first = merge(next(found))
        walked = merge([d for d, _, _ in os.walk(".")])
        """
    text, outcome = fixed(tmp_path, source)
    assert text == textwrap.dedent(source)
    assert outcome.fixes == ()
    assert [f.line for f in outcome.report.findings] == [9, 11, 12]


def test_a_set_of_unknown_objects_is_not_sorted(tmp_path):
    source = """\
        from jug import TaskGenerator

        @TaskGenerator
        def merge(x):
            return x

        def load():
            return {object(), object()}

        things = merge(list(load()))
        names = merge(list({"b", "a"}))
        """
    text, outcome = fixed(tmp_path, source)
    assert text == textwrap.dedent(source).replace('list({"b", "a"})', 'sorted({"b", "a"})')
    assert [f.line for f in outcome.report.findings] == [10]


def test_a_file_that_rebinds_sorted_is_not_fixed(tmp_path):
    source = """\
        import os
        from jug import TaskGenerator

        def sorted(items):
            return items

        @TaskGenerator
        def merge(x):
            return x

        merged = merge(os.listdir("."))
        """
    text, outcome = fixed(tmp_path, source)
    assert text == textwrap.dedent(source)


def test_fixing_keeps_crlf_line_endings_and_the_encoding(tmp_path):
    from jug.compiler.lint import fix_paths

    path = tmp_path / "jugfile.py"
    source = ("# -*- coding: latin-1 -*-\r\nimport os\r\nfrom jug import TaskGenerator\r\n"
              "\r\n@TaskGenerator\r\ndef merge(x):\r\n    return x\r\n\r\n"
              "label = 'caf\xe9'\r\nmerged = merge(os.listdir('.'))  # r\xe9sum\xe9\r\n")
    path.write_bytes(source.encode("latin-1"))
    fix_paths([str(path)], write=True)
    assert path.read_bytes() == source.replace("merge(os.listdir('.'))",
                                               "merge(sorted(os.listdir('.')))").encode("latin-1")


def test_output_format_is_a_synonym_of_format(tmp_path):
    (tmp_path / "jugfile.py").write_text(
        "import os\nfrom jug import TaskGenerator\n\n@TaskGenerator\ndef f(x):\n"
        "    return x\n\ny = f(os.listdir('.'))\n")
    long = run_jug("lint", "--output-format", "json", "jugfile.py", cwd=str(tmp_path))
    short = run_jug("lint", "--format", "json", "jugfile.py", cwd=str(tmp_path))
    assert long.returncode == short.returncode == 1
    assert long.stdout == short.stdout
    assert json.loads(long.stdout)[0]["code"] == "JUG103"


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lint_corpus")


def _without_wrapping(text):
    """The text with every `sorted(`, `list(` and `)` removed: what a fix
    that only wraps expressions in sorted() leaves unchanged."""
    return text.replace("sorted(", "").replace("list(", "").replace(")", "")


@pytest.mark.parametrize("project", sorted(
    name for name in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, name))))
def test_fix_on_the_corpus_only_wraps_and_is_idempotent(tmp_path, project):
    from jug.compiler.lint import fix_paths

    shutil.copytree(os.path.join(CORPUS, project), tmp_path / project)
    jugfile = str(tmp_path / project / "jugfile.py")
    before = {path: path.read_text() for path in (tmp_path / project).rglob("*.py")}
    first = fix_paths([jugfile], write=True)
    after = {path: path.read_text() for path in before}
    for path, text in after.items():
        compile(ast.parse(text), str(path), "exec")
        assert _without_wrapping(text) == _without_wrapping(before[path]), path
    assert {os.path.basename(f.path) for f in first.fixes} == {
        path.name for path in before if after[path] != before[path]}
    # what is left unfixed on purpose: iterators passed to next()
    assert all(site.iterator for site in first.report.fixes)
    second = fix_paths([jugfile], write=True)
    assert second.fixes == ()
    assert {path: path.read_text() for path in before} == after
