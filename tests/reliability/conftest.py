"""Fixtures of the reliability tests (helpers: ``reliability_harness``):
machinery some tests need as root (a small tmpfs, network namespaces),
skipped with the reason elsewhere."""

import subprocess

import pytest

from reliability_harness import TwoHosts, can_use_network_namespaces


def _run(*command):
    return subprocess.run(command, capture_output=True, text=True)


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size, options="")``: a new tmpfs mounted in tmp_path (root
    only; skipped with the reason elsewhere), unmounted after the test."""
    mounted = []

    def mount(size, options=""):
        target = tmp_path / f"tmpfs{len(mounted)}"
        target.mkdir()
        opts = f"size={size}" + (f",{options}" if options else "")
        proc = _run("mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(target))
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'not root'}); "
                        "run as root to test a full disk")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        _run("umount", "-l", str(target))


@pytest.fixture
def two_hosts():
    reason = can_use_network_namespaces()
    if reason:
        pytest.skip(reason)
    hosts = TwoHosts().create()
    yield hosts
    hosts.destroy()
