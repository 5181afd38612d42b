"""``jug compile``: trace the jugfile, save its manifest, print a summary
(or the manifest as JSON), or run the dynamic determinism check."""

import collections
import json
import os
import sys


def compile_command(options, as_json=False, check_determinism=False, out=None):
    """Trace ``options.jugfile`` into a manifest; print a summary (or the JSON
    manifest); returns the exit code."""
    from jug.compiler.build import compile_jugfile
    from jug.compiler.trace import read_jugfile
    from jug.project import open_project_store

    out = out or sys.stdout
    read_jugfile(options.jugfile)  # a syntax error is reported before anything runs
    if check_determinism:
        from jug.compiler.determinism import determinism_command

        return determinism_command(options, out)
    import contextlib

    # With --json, stdout is the manifest: what the jugfile prints goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with open_project_store(options) as store, quiet:
        result = compile_jugfile(options.jugfile, store, options.argv)
        where = _blob_location(store, result.blob_name) if result.blob_name else None
    manifest = result.manifest
    if result.volatile:
        print(manifest.header.volatile[0].line(), file=sys.stderr)
    if as_json:
        json.dump(manifest.to_json(), out, indent=1)
        out.write("\n")
        return 0
    for line in summary_lines(manifest, result, where):
        print(line, file=out)
    return 0


def _blob_location(store, blob_name):
    path = getattr(store, "path", None)
    if isinstance(path, str):
        return os.path.join(path, "blobs", blob_name)
    return f"{store.describe()} (blob {blob_name})"


def summary_lines(manifest, result, where):
    """The lines ``jug compile`` prints about a freshly compiled manifest."""
    graph = manifest.graph
    header = manifest.header
    per_name = collections.Counter()
    for name_id, count in collections.Counter(graph.name_ids).items():  # counted in C
        per_name[graph.names[name_id]] += count
    stages = graph.stage_count()
    lines = [f"Compiled {header.jugfile}: {len(graph)} tasks, {graph.edge_count} dependencies, "
             f"{stages} stage{'s' if stages != 1 else ''} in {result.seconds:.2f} s"]
    width = max((len(str(c)) for c in per_name.values()), default=1)
    for name, count in sorted(per_name.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {count:>{width}}  {name}")
    lines.append(f"Observed: {_plural(len(header.inputs), 'file or directory', 'files and directories')}"
                 f", {_plural(len(header.stats), 'path question')}"
                 f", {_plural(len(header.variables), 'environment variable')}"
                 " (jug compile --explain lists them)")
    if header.stopped_at:
        lines.append(f"Stopped at {header.stopped_at}: more tasks will appear once the "
                     "tasks before it are finished.")
    if header.fallbacks:
        kinds = ", ".join(f"{name} ({count})" for name, count in header.fallbacks)
        lines.append(f"Warning: arguments hashed by pickling (fragile across versions): {kinds}")
    if header.payload_error:
        lines.append(f"Warning: {header.payload_error}")
    if not header.volatile:  # else every command traces: nothing is replayed
        lines.extend(replay_lines(header))
    if where is None:
        lines.append("Manifest: not stored: the trace is volatile (every command traces the "
                     "jugfile again)")
    else:
        lines.append(f"Manifest: {where} ({_size(result.manifest_bytes)}; payload "
                     f"{_size(result.payload_bytes)})")
    return lines


def replay_lines(header):
    """What a task will see: the one line saying that workers run the top
    level (naming the file and line of the first reason), or the replayed
    changes in short (all of them: ``--json``)."""
    changes = header.replay
    if changes.top_level:
        first, more = changes.top_level[0], len(changes.top_level) - 1
        return [f"Warning: workers run the top level of {header.jugfile} before their tasks, "
                f"as jug 2 does (slower start): {first.text()}"
                + (f" (and {more} more, see --json)" if more else "")]
    groups = {}
    for kind, name, _ in changes.items():
        if (kind, name) != ("module", header.module):  # the jugfile's own: always carried
            groups.setdefault(kind, []).append(name)
    parts = []
    for kind, names in groups.items():
        if kind == "sys.path":
            parts.append("sys.path " + ", ".join(names))
        elif kind in ("sys.argv", "working directory"):
            parts.append(kind if kind == "sys.argv" else f"working directory {names[0]}")
        else:
            parts.append(f"{kind}{'s' if len(names) > 1 and kind != 'environment' else ''} "
                         + ", ".join(names))
    lines = [f"Replayed in every worker: {'; '.join(parts)}"] if parts else []
    if changes.not_carried:
        names = ", ".join(name for name, _ in changes.not_carried)
        lines.append(f"Not carried to workers (cannot be pickled, no code uses them): {names}")
    return lines


def _plural(count, word, words=None):
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def _size(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
