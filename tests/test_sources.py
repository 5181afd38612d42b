"""A user's module is imported by its content, never from a stale ``.pyc``
(jug/compiler/sources.py).

Python trusts a timestamp ``.pyc`` while the source keeps its size and the
whole second of its mtime.  Each test makes that happen on purpose: bytecode
on (this machine sets PYTHONDONTWRITEBYTECODE; users do not), the module's
mtime set within one second before and after an edit that keeps its size.
The original jug imports with Python's normal rules, so it computes with
the old module in each of these scenarios: ours must compute with the new
one (a manifest is fresh by content).
"""

import os
import subprocess
import sys
import time

from jugtest import jug_env, run_jug, write

BYTECODE_ON = {"PYTHONDONTWRITEBYTECODE": None}
SECOND = (int(time.time()) - 60) * 10**9  # a whole second, in the past

VALUE = """
    import jug
    jug.init("jugfile.py", "jugfile.jugdata")
    import jugfile
    print(repr(jug.value(jugfile.result)))
"""


def set_mtime(path, offset_ns):
    os.utime(path, ns=(SECOND + offset_ns, SECOND + offset_ns))


def edit_within_the_second(directory, name, text):
    """Write ``text`` (the size of the old one) to ``directory/name``, its
    mtime still within the old second."""
    path = directory / name
    assert len(text) == path.stat().st_size
    path.write_text(text)
    set_mtime(path, 6 * 10**8)


def compile_timestamp_pyc(directory, module):
    """What a plain ``python -c 'import module'`` of the user's leaves: a
    timestamp .pyc of the module as it is now."""
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=directory,
                          env=jug_env(**BYTECODE_ON), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert any((directory / "__pycache__").glob(f"{module}.*.pyc"))


def last_line(proc):
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def loaded_values(scenario):
    """``{label: repr of jugfile.result}`` loaded by a script, bytecode on."""
    return {label: last_line(proc)
            for label, proc in scenario.python(VALUE, env=BYTECODE_ON).items()}


TOP_LEVEL_IMPORT = """
    from jug import TaskGenerator
    from params import FACTOR

    @TaskGenerator
    def scale(x, factor):
        return x * factor

    result = scale(21, FACTOR)
"""


def with_a_stale_pyc(differential, jugfile, module):
    """A scenario whose ``module`` (``FACTOR = 2``, then 3) has a stale .pyc."""
    scenario = differential.scenario({"jugfile.py": jugfile, f"{module}.py": "FACTOR = 2\n"})
    for directory in scenario.dirs.values():
        set_mtime(directory / f"{module}.py", 10**8)
        compile_timestamp_pyc(directory, module)
        edit_within_the_second(directory, f"{module}.py", "FACTOR = 3\n")
    return scenario


def test_a_stale_pyc_from_before_the_first_trace_is_not_used(differential):
    scenario = with_a_stale_pyc(differential, TOP_LEVEL_IMPORT, "params")
    scenario.execute(env=BYTECODE_ON)
    # the original ran the stale .pyc
    assert loaded_values(scenario) == {"original": "42", "ours": "63"}


def test_a_retrace_after_an_edit_within_the_second_runs_the_new_module(differential):
    scenario = differential.scenario({"jugfile.py": TOP_LEVEL_IMPORT, "params.py": "FACTOR = 2\n"})
    scenario.each(lambda directory: set_mtime(directory / "params.py", 10**8))
    scenario.execute(env=BYTECODE_ON)
    scenario.each(lambda directory: edit_within_the_second(directory, "params.py", "FACTOR = 3\n"))
    status = scenario.run("status", "jugfile.py", env=BYTECODE_ON)
    assert status["ours"].table()["jugfile.scale"]["Ready"] == 1, status["ours"]
    assert status["original"].table()["jugfile.scale"]["Complete"] == 1, status["original"]
    assert "re-traced jugfile.py: params.py modified" in status["ours"].stderr
    scenario.execute(env=BYTECODE_ON)
    assert loaded_values(scenario) == {"original": "42", "ours": "63"}


TASK_IMPORT = """
    from jug import TaskGenerator

    @TaskGenerator
    def scale(x):
        import lazy_params  # imported by the worker, when the task runs
        return x * lazy_params.FACTOR

    result = scale(21)
"""


def test_a_task_importing_an_edited_module_runs_its_new_code(differential):
    scenario = with_a_stale_pyc(differential, TASK_IMPORT, "lazy_params")
    scenario.execute(env=BYTECODE_ON)
    assert loaded_values(scenario) == {"original": "42", "ours": "63"}


def test_a_worker_running_from_the_manifest_imports_the_new_module(tmp_path):
    # jug compile, then a separate worker process that replays the manifest
    # (the trace did not import lazy_params: only the worker does)
    write(tmp_path / "jugfile.py", TASK_IMPORT)
    write(tmp_path / "lazy_params.py", "FACTOR = 2\n")
    env = jug_env(**BYTECODE_ON)
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=env, check=0)
    set_mtime(tmp_path / "lazy_params.py", 10**8)
    compile_timestamp_pyc(tmp_path, "lazy_params")
    edit_within_the_second(tmp_path, "lazy_params.py", "FACTOR = 3\n")
    proc = run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, env=env, check=0)
    assert "re-traced" not in proc.stderr  # the worker ran from the manifest
    script = subprocess.run([sys.executable, "-c", VALUE.replace("\n    ", "\n")], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert last_line(script) == "63"


def test_the_pyc_written_is_checked_by_content(tmp_path):
    # after a trace, even a plain Python import checks the module by content
    write(tmp_path / "jugfile.py", TOP_LEVEL_IMPORT)
    write(tmp_path / "params.py", "FACTOR = 2\n")
    set_mtime(tmp_path / "params.py", 10**8)
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=jug_env(**BYTECODE_ON), check=0)
    edit_within_the_second(tmp_path, "params.py", "FACTOR = 3\n")
    proc = subprocess.run([sys.executable, "-c", "import params; print(params.FACTOR)"],
                          cwd=tmp_path, env=jug_env(**BYTECODE_ON), capture_output=True, text=True)
    assert last_line(proc) == "3"


def test_no_bytecode_is_written_when_it_is_off(tmp_path):
    write(tmp_path / "jugfile.py", TOP_LEVEL_IMPORT)
    write(tmp_path / "params.py", "FACTOR = 2\n")
    run_jug("compile", "jugfile.py", cwd=tmp_path, env=jug_env(PYTHONDONTWRITEBYTECODE="1"),
            check=0)
    assert not (tmp_path / "__pycache__").exists()
