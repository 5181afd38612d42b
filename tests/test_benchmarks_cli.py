"""The benchmark harness's command line (what it would run; nothing is timed)."""

import subprocess
import sys

from tests.jugtest import REPO, jug_env


def test_a_dry_run_shows_the_baseline_in_the_originals_place(tmp_path):
    baseline = str(tmp_path / "venv-main" / "bin" / "jug")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--dry-run", "--sizes", "1000",
         "--only", "compile/fanout/1000", "--baseline-cmd", baseline],
        cwd=REPO, env=jug_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    timed = [line.split(":", 1)[1].strip() for line in proc.stdout.splitlines()
             if line.strip().startswith("original timed:")]
    assert timed and all(line.startswith(f"{baseline} compile") or
                         line.startswith(f"{baseline} status") for line in timed), proc.stdout
    assert "venv-jug-2.7.0" not in proc.stdout
