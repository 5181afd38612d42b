"""The manual's examples run through `jug execute`, in one process and in
four concurrent ones, with the same results and every task run once."""

import json
import os
import re
import shutil

import pytest

from jugtest import REPO, jug_env, run_jug, run_workers

EXAMPLES = {
    # example dir, jugfile, env, task count, script printing the result as JSON
    "primes": ("primes.py", {"PRIMES_SLEEP": "0.01"}, 101,
               "import jug, json; jug.init('primes.py', 'primes.jugdata'); import primes; "
               "print(json.dumps([jug.value(primes.n_primes), jug.value(primes.primes100)]))"),
    "text": ("jugfile.py", {"TEXT_SLEEP": "0"}, 19,
             "import jug, json; jug.init('jugfile.py', 'jugfile.jugdata'); import jugfile; "
             "print(json.dumps(jug.value(jugfile.results)))"),
    "decrypt": ("jugfile.py", {}, 27,
                "import jug, json; jug.init('jugfile.py', 'jugfile.jugdata'); import jugfile; "
                "print(json.dumps(jug.value(jugfile.fullresults)))"),
}


def executed_total(output):
    """The Total row of the Executed/Loaded table of `jug execute`."""
    match = re.search(r"^\s+(\d+)\s+(\d+)\s+Total\s*$", output, re.M)
    assert match, output
    return int(match.group(1))


def copy_example(tmp_path, name):
    target = tmp_path / name
    shutil.copytree(os.path.join(REPO, "examples", name), target)
    return str(target)


def result_of(directory, script, env):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", script], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_one_and_four_workers(tmp_path, name):
    jugfile, extra_env, count, script = EXAMPLES[name]
    env = jug_env(**extra_env)

    single = copy_example(tmp_path / "one", name)
    proc = run_jug("execute", jugfile, "--will-cite", cwd=single, env=env, check=0)
    assert executed_total(proc.stdout) == count
    expected = result_of(single, script, env)
    if name == "primes":
        assert expected[0] == 25
        with open(os.path.join(single, "output.txt")) as handle:
            assert handle.read() == "Found 25 primes <= 100.\n"
    elif name == "decrypt":
        assert [password for password, _ in expected] == ["bark"]
        assert expected[0][1].startswith("Jug runs tasks in parallel.")

    parallel = copy_example(tmp_path / "four", name)
    run_jug("compile", jugfile, cwd=parallel, env=env, check=0)
    outputs = run_workers(4, jugfile, cwd=parallel, env=env)
    assert sum(executed_total(stdout) for stdout in outputs) == count  # each task once
    assert result_of(parallel, script, env) == expected
    status = run_jug("status", jugfile, "--short", cwd=parallel, env=env, check=0)
    assert status.stdout.strip() == f"All tasks complete ({count} tasks)."
