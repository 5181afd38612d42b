"""Output helpers: the summary table every command prints, writing task
results to files, and :class:`NoLoad`."""

import shutil
import sys

from jug.task import Task, Tasklet, TaskGenerator, describe, value

__all__ = ["NoLoad", "write_task_out", "write_metadata", "print_task_summary_table",
           "get_terminal_size"]


def get_terminal_size():
    """``(columns, lines)``; ``COLUMNS`` wins, else the terminal, else 80x25."""
    size = shutil.get_terminal_size((80, 25))
    return size.columns, size.lines


def format_task_summary_table(groups, short=False, columns=None):
    """The summary table as a list of lines.

    ``groups`` is a list of ``(title, {task name: count})``.  Counts are
    right-aligned in 12 columns, names follow in full (never cut, whatever the
    terminal width), rows sorted by name, then a Total row."""
    if short:
        lines = [f"{title}:  {sum(counts.values())} tasks" for title, counts in groups]
        names = set()
        for _, counts in groups:
            names.update(name for name, count in counts.items() if count)
        total = sum(sum(counts.values()) for _, counts in groups)
        lines.append(f"** Total: {total} tasks.")
        return lines
    columns = columns or get_terminal_size()[0]
    name_width = columns - 12 * len(groups) - 2
    if name_width <= 8:
        name_width = 12
    width = 12 * len(groups) + 2 + name_width
    names = sorted({name for _, counts in groups for name in counts})
    lines = ["".join(f"{title:>12}" for title, _ in groups) + "  Task name", "-" * width]
    for name in names:
        lines.append("".join(f"{counts.get(name, 0):12}" for _, counts in groups) + "  " + name)
    lines.append("." * width)
    lines.append("".join(f"{sum(counts.values()):12}" for _, counts in groups) + "  Total")
    lines.append("")
    return lines


def print_task_summary_table(options, groups, file=None):
    """Print :func:`format_task_summary_table` (``options.short`` selects the
    one-line-per-group form)."""
    short = bool(getattr(options, "short", False))
    out = file or sys.stdout
    for line in format_task_summary_table(groups, short=short):
        print(line, file=out)


class NoLoad(Tasklet):
    """Pass a task to another *without* loading its result: the consumer
    receives this wrapper and may call ``value(x.base)`` itself.  The wrapped
    task is still a dependency."""

    def __init__(self, base):
        super().__init__(base, _no_load_operation)

    def __jug_value__(self):
        return self

    def __getitem__(self, index):
        raise TypeError("jug.io.NoLoad cannot be sliced; slice the task, then wrap it")

    @property
    def t(self):
        return self.base


def _no_load_operation(x):
    return x


def _do_write_task_out(result, oname, metadata_fname, metadata_format, metadata):
    import pickle

    if type(result).__module__ == "numpy" and type(result).__name__ == "ndarray":
        import numpy as np

        with open(oname, "wb") as output:
            np.save(output, result)
    else:
        with open(oname, "wb") as output:
            pickle.dump(result, output)
    if metadata_fname is not None:
        _write_metadata_file(metadata, metadata_fname, metadata_format)


def _do_write_metadata(result, metadata_fname, metadata_format, metadata):
    _write_metadata_file(metadata, metadata_fname, metadata_format)


def _write_metadata_file(metadata, metadata_fname, metadata_format):
    if metadata_format == "json":
        import json

        with open(metadata_fname, "w") as output:
            json.dump(metadata, output, indent=2, default=str)
    else:
        import yaml

        with open(metadata_fname, "w") as output:
            yaml.safe_dump(metadata, output)


def _check_format(metadata_format):
    if metadata_format not in ("yaml", "json"):
        raise ValueError(f"jug.io: unknown metadata format {metadata_format!r} (use 'yaml' or 'json')")


def _metadata_of(result):
    if isinstance(result, Task):
        return _LazyDescription(result)
    return None


class _Metadata:
    """Stands for the ``meta`` entry of task ``key`` in a description made
    ahead of time."""

    def __init__(self, key):
        self.key = key


class _LazyDescription:
    """``describe(task)`` as the writing task needs it: the names and
    arguments taken when the jugfile is traced (a worker running from the
    manifest knows a task only by its hash), the metadata (completion
    times) when the writing task runs."""

    def __init__(self, task):
        self.task = task
        self.description = describe(task, metadata=lambda t: _Metadata(t.key))

    def __jug_value__(self):
        import copy

        description = copy.deepcopy(self.description)
        store = self.task.store
        stack = [description]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for slot, item in list(items):
                if isinstance(item, _Metadata):
                    node[slot] = store.metadata(item.key)
                elif isinstance(item, (dict, list)):
                    stack.append(item)
        return description

    def __jug_dependencies__(self):
        return [self.task]

    def __jug_hash__(self):
        return b"describe:" + self.task.hash()


def write_task_out(result, oname, metadata_fname=None, metadata_format="yaml"):
    """A task writing ``result``'s value to ``oname`` (numpy arrays as .npy,
    anything else pickled) and, optionally, ``describe()`` metadata in yaml
    or json to ``metadata_fname``."""
    _check_format(metadata_format)
    return Task(_do_write_task_out, result, oname, metadata_fname, metadata_format,
                _metadata_of(result) if metadata_fname else None)


def write_metadata(result, metadata_fname, metadata_format="yaml"):
    """A task writing ``describe(result)`` to ``metadata_fname``."""
    _check_format(metadata_format)
    return Task(_do_write_metadata, result, metadata_fname, metadata_format, _metadata_of(result))
