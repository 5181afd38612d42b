"""Turning series of samples into the Markdown tables and the JSON file."""

from __future__ import annotations

import bisect

IMPLEMENTATIONS = ("original", "ours")

FLOOR_DESCRIPTIONS = {
    "python-startup": "`python -c pass`",
    "python-S-startup": "`python -S -c pass` (no site-packages)",
    "write-rename-nofsync": "create + write 64 B + rename one result file, no fsync (per file)",
    "write-rename-fsync": "the same with fsync of the file and of the directory, as jug 2.7 does (per file)",
    "unlink-link": "unlink a hard link to a result file, as the invalidate benchmark does (per file)",
    "unlink-file": "unlink a written-back 64 B result file, freeing its block (per file)",
    "redis-roundtrip": "one Redis `SET` round trip (per key)",
    "redis-pipelined": "one Redis command in a pipeline of the largest size (per key)",
}


def floor_value(row, floors):
    """The floor of a row in seconds, or None if a term was not measured.

    A floor is what the machine allows, so each term is the *fastest* sample
    (disk writes in particular are slowed by other processes' write-back).
    """
    total = 0.0
    for key, multiplier in row.floor:
        if key == "scan":
            value = _interpolated_scan(floors, multiplier)
        else:
            series = floors.get(key)
            value = series.minimum * multiplier if series is not None and series.minimum is not None else None
        if value is None:
            return None
        total += value
    return total if row.floor else None


def _interpolated_scan(floors, files):
    """Scan time of ``files`` result files, interpolated (or extrapolated,
    linearly through the origin below the smallest size) from the sizes at
    which the scan was measured."""
    points = sorted((int(key.split("/")[1]), series.minimum) for key, series in floors.items()
                    if key.startswith("scan/") and series.minimum is not None)
    if not points:
        return None
    sizes = [n for n, _ in points]
    i = bisect.bisect_left(sizes, files)
    if i < len(points) and sizes[i] == files:
        return points[i][1]
    if i == 0:
        return points[0][1] * files / points[0][0]
    if i == len(points):
        return points[-1][1] * files / points[-1][0]
    (n0, t0), (n1, t1) = points[i - 1], points[i]
    return t0 + (t1 - t0) * (files - n0) / (n1 - n0)


def format_value(row, value):
    """A sample's value as the log shows it."""
    if getattr(row, "unit", "seconds") == "bytes":
        return "—" if value is None else f"{value / 1e6:.2f} MB"
    return format_seconds(value)


def format_seconds(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs" if seconds >= 1e-5 else f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def _cell(row, series):
    if series is None or not series.samples:
        return "not run"
    if series.median is None:
        return "error: " + _short(series.errors[0]) if series.errors else "—"
    dagger = " †" if series.errors else ""
    if row.unit == "bytes":
        total = max((s.total_bytes or 0 for s in series.samples), default=0)
        share = f" of {total / 1e6:.1f} MB ({100 * series.median / total:.1f}%)" if total else ""
        return f"{series.median / 1e6:.2f} MB{share}{dagger}"
    if row.bytes:
        rate = lambda s: row.bytes / s / 1e9  # noqa: E731
        if len(series.values) == 1:
            return f"{rate(series.median):.2f} GB/s{dagger}"
        return f"{rate(series.median):.2f} GB/s ({rate(series.maximum):.2f}–{rate(series.minimum):.2f}){dagger}"
    if len(series.values) == 1:
        return format_seconds(series.median) + dagger
    spread = f"{format_seconds(series.minimum)}–{format_seconds(series.maximum)}"
    return f"{format_seconds(series.median)} ({spread}){dagger}"


def _short(message, width=70):
    message = message.replace("|", "\\|")
    return message if len(message) <= width else message[: width - 1] + "…"


def ratio(results_row):
    original, ours = results_row.get("original"), results_row.get("ours")
    if original is None or ours is None or original.median is None or ours.median is None or ours.median == 0:
        return None
    return original.median / ours.median


def _format_ratio(value):
    if value is None:
        return "—"
    return f"{value:.0f}×" if value >= 100 else f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def _rss(series):
    if series is None or series.max_rss_kib is None:
        return "—"
    return f"{series.max_rss_kib / 1024:.0f}"


def _cpu(series):
    """Median user + system time: on a loaded machine it moves less than wall time."""
    if series is None or series.cpu_median is None:
        return "—"
    return f"{series.cpu_median:.2f}" if series.cpu_median < 10 else f"{series.cpu_median:.1f}"


def markdown(meta, rows, results, floors):
    out = []
    out.append(f"Benchmarks — {meta['date']} — {meta['host']['cpu']} ({meta['host']['cores']} cores), "
               f"Python {meta['python']}")
    out.append("")
    out.append(f"* original: {meta['original']}")
    out.append(f"* ours: {meta['ours']}")
    out.append(f"* {meta['repeat']} run(s) per measurement, alternating original/ours; "
               f"median (min–max); sizes {', '.join(f'{n:,}' for n in meta['sizes'])}; "
               f"session took {meta['duration_seconds'] / 60:.1f} min")
    if meta.get("load_average"):
        start, end = meta["load_average"]["start"], meta["load_average"]["end"]
        out.append(f"* load average (1/5/15 min) at start {start[0]:.2f}/{start[1]:.2f}/{start[2]:.2f}, "
                   f"at end {end[0]:.2f}/{end[1]:.2f}/{end[2]:.2f}: other work on the machine widens min–max")
    if meta.get("redis"):
        out.append(f"* redis: {meta['redis']}")
    out.append("")
    out.append("| measurement | original | ours | original/ours | floor | peak RSS MB (orig/ours) "
               "| CPU s (orig/ours) |")
    out.append("| --- | --- | --- | ---: | --- | ---: | ---: |")
    notes = []
    for row in rows:
        result = results.get(row.id, {})
        floor = floor_value(row, floors)
        floor_text = f"{format_seconds(floor)} ({row.floor_label})" if floor is not None else "—"
        if row.bytes and floor:  # throughput: the fastest copy
            floor_text = f"{row.bytes / floor / 1e9:.1f} GB/s ({row.floor_label})"
        mark = ""
        if row.note:
            if row.note not in notes:
                notes.append(row.note)
            mark = f" [{notes.index(row.note) + 1}]"
        out.append(f"| {row.title}{mark} | {_cell(row, result.get('original'))} | {_cell(row, result.get('ours'))} "
                   f"| {_format_ratio(ratio(result))} | {floor_text} "
                   f"| {_rss(result.get('original'))} / {_rss(result.get('ours'))} "
                   f"| {_cpu(result.get('original'))} / {_cpu(result.get('ours'))} |")
    out.append("")
    for i, note in enumerate(notes, 1):
        out.append(f"[{i}] {note}  ")
    out.append("")

    per_task = [row for row in rows if row.tasks and row.id.startswith("execute/")]
    if per_task:
        out.append("Per task (wall time / tasks, start-up included):")
        out.append("")
        out.append("| measurement | original ms/task | ours ms/task | floor ms/task |")
        out.append("| --- | ---: | ---: | ---: |")
        for row in per_task:
            result = results.get(row.id, {})
            cells = []
            for label in IMPLEMENTATIONS:
                series = result.get(label)
                cells.append(f"{series.median / row.tasks * 1e3:.3f}" if series and series.median else "—")
            floor = floor_value(row, floors)
            cells.append(f"{floor / row.tasks * 1e3:.3f}" if floor else "—")
            out.append(f"| {row.title} | " + " | ".join(cells) + " |")
        out.append("")

    if floors:
        out.append("Floor (this machine; measured at the start and at the end, the fastest sample is "
                   "what the floor column uses):")
        out.append("")
        out.append("| floor | fastest | median | slowest |")
        out.append("| --- | ---: | ---: | ---: |")
        for key, series in floors.items():
            description = FLOOR_DESCRIPTIONS.get(key) or _describe_floor(key)
            if series.median is None:
                continue
            if key.split("/")[0] in ("memcpy", "sha1", "blake2b"):
                nbytes = int(key.split("/")[1])
                cells = [f"{nbytes / s / 1e9:.2f} GB/s" for s in (series.minimum, series.median, series.maximum)]
            else:
                cells = [format_seconds(s) for s in (series.minimum, series.median, series.maximum)]
            out.append(f"| {description} | " + " | ".join(cells) + " |")
        out.append("")

    errors = []
    for row in rows:
        for label in IMPLEMENTATIONS:
            series = results.get(row.id, {}).get(label)
            if series is not None:
                for message in dict.fromkeys(series.errors):
                    errors.append(f"* `{row.id}` {label}: {message}")
    if errors:
        out.append("Errors († in the table: some runs failed; a measurement that fails is not repeated):")
        out.append("")
        out.extend(errors)
        out.append("")
    return "\n".join(out)


def _describe_floor(key):
    kind, _, arg = key.partition("/")
    if kind == "scan":
        return f"`os.scandir` of 256 subdirectories holding {int(arg):,} result files"
    if kind == "redis-exists":
        return f"Redis pipeline of {int(arg):,} `EXISTS`"
    if kind in ("memcpy", "sha1", "blake2b"):
        what = {"memcpy": "copy", "sha1": "`hashlib.sha1`", "blake2b": "`hashlib.blake2b`"}[kind]
        return f"{what} of a {int(arg) >> 20} MB array"
    return key


def to_json(meta, rows, results, floors):
    return {
        "meta": meta,
        "rows": [
            {
                "id": row.id,
                "title": row.title,
                "tasks": row.tasks,
                "bytes": row.bytes,
                "note": row.note,
                "floor_seconds": floor_value(row, floors),
                "floor_label": row.floor_label,
                "ratio_original_over_ours": ratio(results.get(row.id, {})),
                **{label: series.to_json() for label, series in results.get(row.id, {}).items()},
            }
            for row in rows
        ],
        "floor": {key: series.to_json() for key, series in floors.items()},
    }
