"""``jug execute -j N`` (worker processes, Ctrl-C), the progress line on a
terminal and nowhere else, and ``--verbose info``."""

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from jugtest import jug_command, jug_env, run_jug, write

JUGFILE = """
    import os
    import time
    from jug import TaskGenerator

    PAUSE = float(os.environ.get("PAUSE", "0"))

    @TaskGenerator
    def work(x):
        time.sleep(PAUSE)
        with open(f"ran-{x}-{os.getpid()}", "w"):
            pass
        return x

    @TaskGenerator
    def total(xs):
        return sum(xs)

    result = total([work(i) for i in range(12)])
"""


def ran_by(tmp_path):
    """``{task argument: [pids that ran it]}`` from the marker files."""
    runs = {}
    for name in os.listdir(tmp_path):
        if name.startswith("ran-"):
            _, x, pid = name.split("-")
            runs.setdefault(int(x), []).append(int(pid))
    return runs


def test_jobs_run_every_task_once_in_several_processes(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    proc = run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "-j", "3", "--will-cite",
                   cwd=tmp_path, env=jug_env(PAUSE=0.2), check=0)
    runs = ran_by(tmp_path)
    assert sorted(runs) == list(range(12)) and all(len(p) == 1 for p in runs.values()), runs
    assert len({pid for pids in runs.values() for pid in pids}) >= 2  # shared out
    assert re.search(r"^\s+12\s+0  jugfile.work$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^\s+1\s+0  jugfile.total$", proc.stdout, re.M), proc.stdout
    assert proc.stdout.count("Task name") == 1  # one table for all the workers
    run_jug("check", "jugfile.py", "--jugdir", shared_jugdir, cwd=tmp_path, check=0)
    again = run_jug("execute", "jugfile.py", "--jugdir", shared_jugdir, "-j", "2",
                    cwd=tmp_path, check=0)
    assert re.search(r"^\s+0\s+12  jugfile.work$", again.stdout, re.M), again.stdout
    assert "please cite" in again.stdout  # the citation, once


def test_worker_arguments_drop_jobs_and_keep_the_jugfile_arguments():
    from jug.project.workers import worker_arguments

    assert worker_arguments(["execute", "-j", "4", "a.py", "x", "--", "-j", "2"]) == [
        "execute", "a.py", "x", "--jobs", "1", "--worker-events", "--will-cite", "--", "-j", "2"]
    assert worker_arguments(["execute", "-j4", "--jobs=3", "a.py"])[:2] == ["execute", "a.py"]


def _children(pid):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


def test_ctrl_c_stops_every_worker_and_releases_their_locks(tmp_path, shared_jugdir):
    write(tmp_path / "jugfile.py", JUGFILE)
    parent = subprocess.Popen(jug_command("execute", "jugfile.py", "--jugdir", shared_jugdir,
                                          "-j", "3", "--will-cite"),
                              cwd=tmp_path, env=jug_env(PAUSE=30), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    from jug.store import open_store

    with open_store(shared_jugdir) as store:
        deadline = time.monotonic() + 60
        while len([n for n in store.list_locks() if len(n) == 40]) < 3:
            assert parent.poll() is None, parent.communicate()
            assert time.monotonic() < deadline, "the workers never took their tasks"
            time.sleep(0.1)
        workers = _children(parent.pid)
        assert len(workers) == 3
        parent.send_signal(signal.SIGINT)
        out, err = parent.communicate(timeout=60)
        assert parent.returncode == 130, err
        assert "jug: interrupted: 3 of 3 workers stopped, their locks released" in err
        assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
        assert store.list_locks() == {}
        assert store.list_keys() == set()  # nothing half done was saved


def run_on_a_terminal(args, cwd, env):
    """Run ``jug ARGS`` with stdout and stderr on a pseudo-terminal of 100
    columns; returns (exit code, everything it wrote)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(jug_command(*args), cwd=cwd, env=env, stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    output = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other side is closed
            break
        if not data:
            break
        output += data
    os.close(master)
    return proc.wait(), output.decode("utf-8", "replace")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_progress_line_on_a_terminal_only(tmp_path, jobs):
    pytest.importorskip("tqdm")
    write(tmp_path / "jugfile.py", JUGFILE)
    code, shown = run_on_a_terminal(["execute", "jugfile.py", "--will-cite", "-j", jobs],
                                    tmp_path, jug_env(PAUSE=0.05))
    assert code == 0, shown
    assert re.search(r"jug: 100%\|.*\| 13/13 \[", shown), shown
    assert "task/s]" in shown and "\r" in shown
    assert re.search(r"^\s+12\s+0  jugfile.work\s*$", shown, re.M), shown  # per name, at exit
    for name in os.listdir(tmp_path):
        if name.startswith("ran-"):
            os.unlink(tmp_path / name)
    piped = run_jug("execute", "jugfile.py", "--will-cite", "-j", jobs, "--jugdir", "other",
                    cwd=tmp_path, env=jug_env(PAUSE=0.05), check=0)
    assert "\r" not in piped.stdout + piped.stderr and "%|" not in piped.stderr


def test_plain_progress_lines_without_tqdm():
    from jug.project.progress import ProgressLine

    clock = [0.0]
    lines = []

    class Stream:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    progress = ProgressLine(Stream(), clock=lambda: clock[0])
    progress.tqdm = None  # as without tqdm installed
    progress.set_counts(0, 100)
    for step in range(30):
        clock[0] = step
        progress.finished(step)
    progress.failed(3)
    text = "".join(lines)
    assert text.splitlines()[0] == (
        "jug: 11 of 100 tasks done (1.1 tasks/s, about 80 s left, 0 failed)")
    assert "\r" not in text and "\x1b" not in text


def test_verbose_info_logs_each_task_as_the_original(differential):
    scenario = differential.scenario({"jugfile.py": JUGFILE})
    outcomes = scenario.run("execute", "jugfile.py", "--will-cite", "--verbose", "info")
    for outcome in outcomes.values():
        assert outcome.returncode == 0, outcome
    executing = {label: sorted(re.findall(r"^INFO:\w+:(Executing \S+)$", outcome.stderr, re.M))
                 for label, outcome in outcomes.items()}
    assert executing["ours"] == executing["original"], outcomes
    assert len(executing["ours"]) == 13
    assert len(re.findall(r"^INFO:jug:Finished jugfile.work \(\d+\.\d+ s\)$",
                          outcomes["ours"].stderr, re.M)) == 12
    assert "%|" not in outcomes["ours"].stderr


def test_workers_import_the_jug_the_parent_found_on_its_sys_path(tmp_path):
    # jug reachable only through the sys.path of the script that calls it:
    # no PYTHONPATH (and an installed jug, if any, is another one)
    from jugtest import REPO, with_variables

    write(tmp_path / "jugfile.py", """
        from jug import TaskGenerator

        @TaskGenerator
        def where(x):
            import jug
            return jug.__file__

        found = [where(i) for i in range(4)]
    """)
    script = (f"import sys; sys.path.insert(0, {REPO!r}); from jug.jug import main; main()")
    env = with_variables(jug_env(), {"PYTHONPATH": None})
    proc = subprocess.run([sys.executable, "-c", script, "execute", "jugfile.py", "-j", "2",
                           "--will-cite"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\s+4\s+0  jugfile.where$", proc.stdout, re.M), proc.stdout
    value = subprocess.run(
        [sys.executable, "-c", "import jug; jug.init('jugfile.py', 'jugfile.jugdata'); "
         "import jugfile; print(set(jug.value(jugfile.found)))"],
        cwd=tmp_path, env=jug_env(), capture_output=True, text=True, timeout=60)
    assert value.stdout.strip() == repr({os.path.join(REPO, "jug", "__init__.py")}), value


FAILING = """
    from jug import TaskGenerator

    @TaskGenerator
    def fail():
        raise ValueError("no")

    @TaskGenerator
    def use(x):
        return x

    use(fail())
"""


def test_a_failed_task_is_not_hidden_by_a_worker_that_gave_up(tmp_path):
    # one worker fails `fail` (exit 1), the other gives up on `use`, whose
    # dependency failed elsewhere and stays failed (exit 3): the run failed
    write(tmp_path / "jugfile.py", FAILING)
    proc = run_jug("execute", "jugfile.py", "-j", "2", "--keep-failed", "--wait-cycle-time",
                   "0.2", "--nr-wait-cycles", "5", "--will-cite", cwd=tmp_path, check=1)
    assert "jug: 1 tasks failed: jugfile.fail" in proc.stderr


def test_a_worker_killed_by_a_signal_is_named_and_fails_the_run(tmp_path):
    # the first run of `die` kills its worker; the other worker takes over
    # its stale lock and finishes: every task done, but a worker was killed
    write(tmp_path / "jugfile.py", """
        import os
        import signal
        import time
        from jug import TaskGenerator

        @TaskGenerator
        def die():
            if not os.path.exists("died"):
                open("died", "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
            return 1

        @TaskGenerator
        def slow(x):
            time.sleep(0.3)
            return x

        die()
        [slow(i) for i in range(4)]
    """)
    proc = run_jug("execute", "jugfile.py", "-j", "2", "--wait-cycle-time", "0.2",
                   "--will-cite", cwd=tmp_path, check=128 + signal.SIGKILL)
    assert re.search(r"^jug: worker [12] of 2 was killed by SIGKILL; ", proc.stderr, re.M), \
        proc.stderr
    run_jug("check", "jugfile.py", cwd=tmp_path, check=0)


def test_the_exit_code_of_several_workers():
    import io

    from jug.project.workers import exit_code

    assert exit_code([0, 0]) == 0
    assert exit_code([3, 1, 0]) == 1  # a failure first
    assert exit_code([0, 3]) == 3
    said = io.StringIO()
    assert exit_code([0, -signal.SIGKILL], out=said) == 137
    assert exit_code([3, -signal.SIGTERM, 1], out=said) == 1
    assert said.getvalue().splitlines()[1].startswith("jug: worker 2 of 3 was killed by SIGTERM;")
