"""The examples of examples/ run through `jug execute`, in one process and in
four concurrent ones, with the same results and every task run once; the
cluster job-array scripts run as the batch system would run them."""

import json
import os
import re
import subprocess
import sys

import pytest

from docs_check import write_jug_shim
import jugtest
from jugtest import REPO, jug_env, run_jug, run_workers


def _load(jugfile, expression):
    """A script printing ``expression`` (of the traced ``jugfile`` module,
    called ``m``) as JSON, after ``jug.init``."""
    module = jugfile[:-3]
    return (f"import jug, json; jug.init('{jugfile}', '{module}.jugdata'); import {module} as m; "
            f"print(json.dumps({expression}))")


def _read(path):
    with open(path) as handle:
        return handle.read()


def _check_primes(directory, result):
    assert result[0] == 25
    assert _read(os.path.join(directory, "output.txt")) == "Found 25 primes <= 100.\n"


def _check_decrypt(directory, result):
    assert [password for password, _ in result] == ["bark"]
    assert result[0][1].startswith("Jug runs tasks in parallel.")


def _check_images(directory, result):
    best_k, features = result
    assert best_k == 3 and len(features) == 24
    lines = _read(os.path.join(directory, "output.txt")).splitlines()
    assert lines[0] == "Best number of clusters: 3"
    # one cluster per kind of image: kinds are index % 3
    clusters = sorted(sorted(int(name[3:5]) % 3 for name in line.split()[2:]) for line in lines[1:])
    assert clusters == [[0] * 8, [1] * 8, [2] * 8]
    assert len(os.listdir(os.path.join(directory, "images"))) == 24


def _check_wordcount(directory, result):
    assert result == {"apple": 6, "banana": 4, "pear": 3, "football": 2, "waldorf": 1, "salad": 1}
    assert _read(os.path.join(directory, "counts.txt")).splitlines()[:2] == ["  6 apple",
                                                                              "  4 banana"]


def _check_barrier(directory, result):
    assert result == [[1, 7, 10, 13, 19], [0, 16, 6, 9, 20]]


def _check_sweep(directory, result):
    assert result == [3, -6]
    assert _read(os.path.join(directory, "output.txt")).startswith("Best parameter pair: p0=3, p1=-6")


def _check_cluster(directory, result):
    assert result.startswith("40 walks: mean ")


EXAMPLES = {
    # example dir: jugfile, env, task count, expression printed as JSON, check
    "primes": ("primes.py", {"PRIMES_SLEEP": "0.01"}, 101, "[jug.value(m.n_primes), "
               "jug.value(m.primes100)]", _check_primes),
    "text": ("jugfile.py", {"TEXT_SLEEP": "0"}, 19, "jug.value(m.results)", None),
    "decrypt": ("jugfile.py", {}, 27, "jug.value(m.fullresults)", _check_decrypt),
    "images": ("jugfile.py", {"IMAGES_SLEEP": "0"}, 150, "[jug.value(m.best_k), "
               "jug.value(m.features)]", _check_images),
    "wordcount": ("jugfile.py", {}, 10, "dict(jug.value(m.final_counts))", _check_wordcount),
    "barrier": ("jugfile.py", {"BARRIER_SLEEP": "0"}, 26, "[m.inputs, jug.value(m.results)]",
                _check_barrier),
    "barrier-bvalue": ("bvalue.py", {"BARRIER_SLEEP": "0"}, 26, "[m.inputs, jug.value(m.results)]",
                       _check_barrier),
    "sweep": ("jugfile.py", {}, 58, "jug.value(m.best)", _check_sweep),
    "cluster": ("jugfile.py", {"CLUSTER_SLEEP": "0"}, 41, "open('output.txt').read()",
                _check_cluster),
}


# A finished CompoundTask stands for its whole subgraph: status counts one task.
STATUS_COUNT = {"wordcount": 2}


def test_every_example_folder_is_run():
    folders = {name for name in os.listdir(os.path.join(REPO, "examples"))
               if os.path.isdir(os.path.join(REPO, "examples", name))}
    assert folders == {name.split("-")[0] for name in EXAMPLES}


def executed_total(output):
    """The Total row of the Executed/Loaded table of `jug execute`."""
    match = re.search(r"^\s+(\d+)\s+(\d+)\s+Total\s*$", output, re.M)
    assert match, output
    return int(match.group(1))


def copy_example(tmp_path, name):
    return jugtest.copy_example(name.split("-")[0], tmp_path / name)


def result_of(directory, script, env):
    proc = subprocess.run([sys.executable, "-c", script], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_one_and_four_workers(tmp_path, name):
    jugfile, extra_env, count, expression, check = EXAMPLES[name]
    script = _load(jugfile, expression)
    env = jug_env(**extra_env)

    single = copy_example(tmp_path / "one", name)
    proc = run_jug("execute", jugfile, "--will-cite", cwd=single, env=env, check=0)
    assert executed_total(proc.stdout) == count
    expected = result_of(single, script, env)
    if check is not None:
        check(single, expected)

    parallel = copy_example(tmp_path / "four", name)
    run_jug("compile", jugfile, cwd=parallel, env=env, check=0)
    outputs = run_workers(4, jugfile, cwd=parallel, env=env)
    assert sum(executed_total(stdout) for stdout in outputs) == count  # each task once
    assert result_of(parallel, script, env) == expected
    status = run_jug("status", jugfile, "--short", cwd=parallel, env=env, check=0)
    final = STATUS_COUNT.get(name, count)
    assert status.stdout.strip() == f"All tasks complete ({final} tasks)."


# -- job arrays ----------------------------------------------------------------

ARRAY_SCRIPTS = {
    # script: the variables the batch system sets for array element i
    "jug-slurm.sh": lambda i, d: {"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_JOB_ID": "4242",
                                  "SLURM_SUBMIT_DIR": d},
    "jug-sge.sh": lambda i, d: {"SGE_TASK_ID": str(i), "JOB_ID": "4242"},
}


@pytest.mark.parametrize("script", sorted(ARRAY_SCRIPTS))
def test_job_array_script(tmp_path, script):
    """The script parses, asks for an array, and three elements started at
    once (from the home directory for SLURM, which cds to the submit
    directory; from the submit directory for SGE's -cwd) run every task once."""
    directory = copy_example(tmp_path, "cluster")
    path = os.path.join(directory, script)
    assert os.access(path, os.X_OK)
    subprocess.run(["bash", "-n", path], check=True)
    text = _read(path)
    assert re.search(r"^#(SBATCH --array=|\$ -t )1-\d+$", text, re.M)
    assert re.search(r"^exec jug execute jugfile.py", text, re.M)

    bindir = tmp_path / "bin"
    bindir.mkdir()
    write_jug_shim(str(bindir / "jug"))
    env = jug_env(CLUSTER_SLEEP="0.02")
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    start = str(tmp_path) if script == "jug-slurm.sh" else directory
    workers = [subprocess.Popen([path], cwd=start, env={**env, **ARRAY_SCRIPTS[script](i, directory)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for i in (1, 2, 3)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    for i, (worker, output) in enumerate(zip(workers, outputs), 1):
        assert worker.returncode == 0, output
        assert output.startswith(f"jug worker {i} of job 4242 on "), output
    assert sum(executed_total(output) for output in outputs) == 41
    assert _read(os.path.join(directory, "output.txt")).startswith("40 walks: mean ")
