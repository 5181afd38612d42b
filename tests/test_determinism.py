"""`jug compile --check-determinism`: two traces in separate processes
(different PYTHONHASHSEED, shifted clock) must give the same task hashes."""

import os

import pytest

from jugtest import copy_example, jug_env, run_jug, write


def test_flags_unseeded_random(tmp_path):
    write(tmp_path / "jugfile.py", """
        import random
        from jug import TaskGenerator

        @TaskGenerator
        def fit(x, seed):
            return x

        models = [fit(i, seed=random.randint(0, 10**9)) for i in range(3)]
    """)
    proc = run_jug("compile", "jugfile.py", "--check-determinism", cwd=tmp_path, check=1)
    assert "Not deterministic: 3 of 3 task hashes differ" in proc.stdout
    assert "jugfile.py:8: task jugfile.fit: argument `seed` differs" in proc.stdout


def test_flags_set_order(tmp_path):
    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def join(words):
            return " ".join(words)

        words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
        sentence = join(list(words))
        as_set = join(words)           # a set argument is fine: its hash ignores order
    """)
    proc = run_jug("compile", "jugfile.py", "--check-determinism", cwd=tmp_path, check=1)
    assert "1 of 2 task hashes differ" in proc.stdout
    assert "jugfile.py:8: task jugfile.join: argument 0 differs" in proc.stdout


def test_flags_clock_time(tmp_path):
    write(tmp_path / "jugfile.py", """
        import datetime
        from jug import TaskGenerator

        @TaskGenerator
        def stamp(day):
            return day

        today = stamp(datetime.date.today())
    """)
    proc = run_jug("compile", "jugfile.py", "--check-determinism", cwd=tmp_path, check=1)
    assert "argument 0 differs" in proc.stdout


@pytest.mark.parametrize("example, jugfile", [("primes", "primes.py"), ("text", "jugfile.py"),
                                              ("decrypt", "jugfile.py")])
def test_passes_the_manuals_examples(tmp_path, example, jugfile):
    directory = tmp_path / example
    copy_example(example, directory)
    proc = run_jug("compile", jugfile, "--check-determinism", cwd=directory, env=jug_env(),
                   check=0)
    assert proc.stdout.startswith("Deterministic: two traces")
