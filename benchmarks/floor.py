"""The floor: what this machine allows, whatever jug does.

Each figure is the cost of something any implementation must pay at least
once: starting Python, scanning a result tree, writing a result file
atomically, a Redis round trip, reading memory.  The report shows each of
ours' figures next to the floor that bounds it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time

from benchmarks.harness import Sample, Series

SUBDIRS = [f"{i:02x}" for i in range(256)]


def measure_floor(*, spawner, sizes, repeat, workdir, redis=None, hash_bytes, log=print, dry_run=False,
                  python=sys.executable):
    """Every floor figure, as ``{key: Series}`` of seconds.

    ``python`` is the interpreter whose start-up is the floor (ours, from its
    venv, so that the figure is what any command of ours must pay).

    Per-file figures (write, unlink, Redis round trip) are seconds *per
    file*; the others are seconds per operation as named.
    """
    floors = {}
    if dry_run:
        return floors
    repeat = max(repeat, 3)
    os.makedirs(workdir, exist_ok=True)

    for key, argv in (("python-startup", [python, "-c", "pass"]),
                      ("python-S-startup", [python, "-S", "-c", "pass"])):
        series = floors[key] = Series()
        for _ in range(repeat):
            result = spawner.run([argv], cwd=workdir, env=os.environ, timeout=60)
            series.samples.append(Sample(result.seconds, result.max_rss_kib, result.error()))
    log(f"floor: python start-up {_ms(floors['python-startup'])}, -S {_ms(floors['python-S-startup'])}")

    for n in sizes:
        tree = os.path.join(workdir, f"tree-{n}")
        _make_result_tree(tree, n)
        series = floors[f"scan/{n}"] = Series()
        for _ in range(repeat):
            start = time.perf_counter()
            found = _scan_result_tree(tree)
            series.samples.append(Sample(time.perf_counter() - start))
        assert found == n, (found, n)
        shutil.rmtree(tree)
        log(f"floor: scan of {n} result files {_ms(series)}")

    files = 1000
    unlink_link, unlink_file = Series(), Series()
    for key, fsync in (("write-rename-nofsync", False), ("write-rename-fsync", True)):
        write = floors[key] = Series()
        for r in range(repeat):
            tree = os.path.join(workdir, f"write-{key}-{r}")
            seconds, paths = _write_files(tree, files, fsync)
            write.samples.append(Sample(seconds / files))
            if not fsync:
                # The invalidate benchmark deletes hard links into a finished
                # store (link count 2: no blocks are freed); a real store
                # deletes written-back files, which frees blocks.  Measure both.
                os.sync()
                links = [path + ".link" for path in paths]
                for path, link in zip(paths, links):
                    os.link(path, link)
                unlink_link.samples.append(Sample(_unlink_all(links) / files))
                unlink_file.samples.append(Sample(_unlink_all(paths) / files))
            shutil.rmtree(tree)
        log(f"floor: create+write+rename per file ({'with' if fsync else 'no'} fsync) {_us(write)}")
    floors["unlink-link"] = unlink_link
    floors["unlink-file"] = unlink_file
    log(f"floor: unlink per file {_us(unlink_link)} (hard link), {_us(unlink_file)} (written-back file)")

    if redis is not None:
        client = redis.client()
        keys = [f"result:{hashlib.sha1(str(i).encode()).hexdigest()}" for i in range(max(sizes))]
        for n in sizes:
            series = floors[f"redis-exists/{n}"] = Series()
            for _ in range(repeat):
                pipe = client.pipeline(transaction=False)
                start = time.perf_counter()
                for key in keys[:n]:
                    pipe.exists(key)
                pipe.execute()
                series.samples.append(Sample(time.perf_counter() - start))
            log(f"floor: Redis pipeline of {n} EXISTS {_ms(series)}")
        largest = max(sizes)
        floors["redis-pipelined"] = Series([Sample(sample.seconds / largest)
                                            for sample in floors[f"redis-exists/{largest}"].samples])
        series = floors["redis-roundtrip"] = Series()
        for _ in range(repeat):
            start = time.perf_counter()
            for key in keys[:1000]:
                client.set(key, b"x")
            series.samples.append(Sample((time.perf_counter() - start) / 1000))
        redis.flush()
        log(f"floor: one Redis SET round trip {_us(series)}")

    import numpy as np

    array = np.arange(hash_bytes // 8, dtype=np.float64)
    target = np.empty_like(array)
    for key, work in (("memcpy", lambda: np.copyto(target, array)),
                      ("sha1", lambda: hashlib.sha1(array.data).digest()),
                      ("blake2b", lambda: hashlib.blake2b(array.data).digest())):
        series = floors[f"{key}/{hash_bytes}"] = Series()
        work()  # warm: fault the pages in
        for _ in range(repeat):
            start = time.perf_counter()
            work()
            series.samples.append(Sample(time.perf_counter() - start))
        log(f"floor: {key} of {hash_bytes >> 20} MB: {hash_bytes / series.median / 1e9:.2f} GB/s")
    del array, target
    return floors


def _make_result_tree(root, n):
    """N empty files in jug's layout: ``<h[:2]>/<h[2:]>``."""
    for sub in SUBDIRS:
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for i in range(n):
        digest = hashlib.sha1(str(i).encode()).hexdigest()
        with open(os.path.join(root, digest[:2], digest[2:]), "wb"):
            pass


def _scan_result_tree(root):
    names = []
    for sub in SUBDIRS:
        with os.scandir(os.path.join(root, sub)) as entries:
            names.extend(entry.name for entry in entries)
    return len(names)


def _unlink_all(paths):
    start = time.perf_counter()
    for path in paths:
        os.unlink(path)
    return time.perf_counter() - start


def _write_files(root, n, fsync):
    """Write n small files the way a careful store does: temporary file,
    (fsync), rename into the result tree, (fsync the directory)."""
    tempdir = os.path.join(root, "tempfiles")
    os.makedirs(tempdir)
    for sub in SUBDIRS:
        os.makedirs(os.path.join(root, sub))
    payload = b"x" * 64
    paths = []
    start = time.perf_counter()
    for i in range(n):
        digest = hashlib.sha1(str(i).encode()).hexdigest()
        temp = os.path.join(tempdir, digest)
        final_dir = os.path.join(root, digest[:2])
        final = os.path.join(final_dir, digest[2:])
        with open(temp, "xb") as fh:
            fh.write(payload)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.rename(temp, final)
        if fsync:
            fd = os.open(final_dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        paths.append(final)
    return time.perf_counter() - start, paths


def _ms(series):
    return f"{series.median * 1e3:.2f} ms"


def _us(series):
    return f"{series.median * 1e6:.0f} µs"
