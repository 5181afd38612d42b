"""Tracing: run a jugfile with task creation recorded.

``trace_jugfile`` executes the jugfile as a module named after its file stem
(``primes.py`` runs as module ``primes``, registered in ``sys.modules`` so
that its functions pickle and ``import primes`` finds it), with a fresh
:class:`jug.context.JugContext` collecting every task.  It stops cleanly at an
unmet ``barrier()``/``bvalue()``.  The result is a :class:`Trace`: the
:class:`jug.graph.TaskGraph`, the live Task objects in graph order, the
module, and the questions the trace asked the store.
"""

import contextlib
import dataclasses
import gc
import os
import sys
import types

from jug.context import JugContext, current_context, set_context, using_context
from jug.errors import JugfileError


@dataclasses.dataclass(frozen=True)
class Trace:
    """What one run of a jugfile produced."""

    jugfile: str
    module: types.ModuleType
    graph: object  # jug.graph.TaskGraph
    tasks: tuple  # the live Task objects, graph.hashes[i] == tasks[i].key
    context: JugContext
    stopped_at: str | None  # "barrier"/"bvalue" when the trace stopped early
    # the process before the trace changed it (jug.compiler.replay.ProcessSnapshot),
    # and as jug prepared it for the top level (what the top level changed is against it)
    before: object = None
    baseline: object = None

    @property
    def complete(self):
        return self.stopped_at is None


def module_name(jugfile):
    """The module a jugfile runs as: its file name without ``.py``."""
    base = os.path.basename(jugfile)
    return base[:-3] if base.endswith(".py") else base


def read_jugfile(jugfile):
    """The jugfile's code object, named by its absolute path (so that
    tracebacks and debuggers find its source whatever the working directory
    becomes); a syntax error becomes a JugfileError that shows file, line
    and a caret."""
    try:
        with open(jugfile, "rb") as handle:
            source = handle.read()
    except FileNotFoundError:
        raise JugfileError(
            f"jugfile not found: {jugfile} (give the jugfile as the first argument, "
            "e.g. `jug execute primes.py`)", filename=jugfile) from None
    except OSError as error:
        raise JugfileError(f"cannot read jugfile {jugfile}: {error.strerror}",
                           filename=jugfile) from None
    try:
        return compile(source, os.path.abspath(jugfile), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise jugfile_syntax_error(jugfile, error) from None


def jugfile_syntax_error(jugfile, error):
    line = (error.text or "").rstrip("\n")
    col = error.offset or 0
    caret = ""
    if line:
        stripped = line.lstrip()
        caret = "\n    " + stripped + "\n    " + " " * max(0, col - 1 - (len(line) - len(stripped))) + "^"
    python = "%d.%d" % sys.version_info[:2]
    where = f"{jugfile}:{error.lineno}" + (f":{col}" if col else "")
    message = (f"jug: {where}: cannot compile the jugfile (Python {python}): {error.msg}\n"
               f'  File "{jugfile}", line {error.lineno}{caret}\nSyntaxError: {error.msg}')
    return JugfileError(message, filename=jugfile, lineno=error.lineno or 0, col=col,
                        source_line=line)


def trace_jugfile(jugfile, store, argv=None, persistent=False, context=None, running=True,
                  before=None):
    """Run ``jugfile`` recording its tasks; returns a :class:`Trace`.

    ``argv`` becomes ``sys.argv`` (default ``[jugfile]``).  With
    ``persistent`` the context stays active afterwards (``jug.init``), so
    ``value(task)`` keeps working in the caller.  ``running`` is what
    ``jug.is_jug_running()`` answers inside the jugfile.  ``before`` is the
    process as it was before the caller prepared the trace (a
    :class:`jug.compiler.replay.ProcessSnapshot`; default: taken now), so
    that what the caller wraps for the trace's duration is not counted as
    a change of the top level."""
    from jug.compiler.replay import ProcessSnapshot, prepare_process

    code = read_jugfile(jugfile)
    if before is None:
        before = ProcessSnapshot.capture()
    argv = list(argv) if argv is not None else [jugfile]
    prepare_process(jugfile, argv)
    baseline = before.prepared(sys.path, sys.argv)  # what the top level changes is against it
    name = module_name(jugfile)
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(jugfile)
    module.__builtins__ = __builtins__
    sys.modules[name] = module
    if context is None:
        # the jugfile's hooks go where the command that traces it looks
        context = JugContext(store=store, running=running, hooks=current_context().hooks)
    context.source_path = code.co_filename
    from jug.barrier import BarrierError

    with frozen_gc():
        context.freeze_every = _FREEZE_EVERY
        try:
            if persistent:
                set_context(context)
                _run_module(code, module, jugfile, BarrierError)
            else:
                with using_context(context):
                    _run_module(code, module, jugfile, BarrierError)
        finally:
            context.freeze_every = 0
        graph, tasks = build_graph(context.tasks)
        refreeze()
    return Trace(jugfile=jugfile, module=module, graph=graph, tasks=tasks,
                 context=context, stopped_at=context.stopped_at, before=before,
                 baseline=baseline)


#: tasks between two freezes of the garbage collector's objects during a trace
_FREEZE_EVERY = 1 << 12
#: the collector's first threshold while frozen_gc runs: more objects than
#: _FREEZE_EVERY tasks usually make, so that they are frozen before the
#: collector looks at them
_YOUNG_THRESHOLD = 100_000
_frozen = []  # the thresholds to restore, one per frozen_gc block running (they nest)


@contextlib.contextmanager
def frozen_gc():
    """Keep what the cyclic garbage collector tracks now (and, through
    ``JugContext.freeze_every`` and :func:`refreeze`, the tasks and graph
    made since) out of its collections until the block ends.

    A million tasks stay alive during a trace: every collection of the
    oldest generation visited all of them, and every container holding
    them (1.5 s of the payload's 2 s at a million tasks), and young
    collections visited each task twice.  Nothing is freed later than it
    would be after the block (``gc.unfreeze`` puts the objects back), and
    what has no reference cycle is freed at once as always; cyclic garbage
    the jugfile makes waits for the end of the trace."""
    _frozen.append(gc.get_threshold())
    if len(_frozen) == 1:
        threshold = _frozen[0]
        gc.set_threshold(max(threshold[0], _YOUNG_THRESHOLD), *threshold[1:])
    gc.freeze()
    try:
        yield
    finally:
        threshold = _frozen.pop()
        if not _frozen:
            gc.unfreeze()
            gc.set_threshold(*threshold)


def refreeze():
    """Freeze what the collector tracks now, inside a :func:`frozen_gc`
    block (the objects made since it began are then left alone too)."""
    if _frozen:
        gc.freeze()


def _run_module(code, module, jugfile, barrier_error):
    from jug.compiler.sources import importing_by_content

    try:
        with importing_by_content():  # a stale .pyc of a local module would trace old code
            exec(code, module.__dict__)
    except barrier_error:
        return
    except SystemExit:
        raise
    except Exception as error:
        raise jugfile_runtime_error(jugfile, error) from error


def jugfile_runtime_error(jugfile, error):
    """A JugfileError for an exception raised while the jugfile ran, with the
    traceback trimmed to the jugfile's own frames and below."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    path = os.path.abspath(jugfile)
    first = next((i for i, f in enumerate(frames) if os.path.abspath(f.filename) == path), 0)
    frames = frames[first:]
    where = next((f for f in reversed(frames) if os.path.abspath(f.filename) == path), None)
    lines = ["Traceback (most recent call last):", *"".join(traceback.format_list(frames)).rstrip("\n").split("\n")]
    lines.extend(traceback.format_exception_only(type(error), error)[-1].rstrip("\n").split("\n"))
    lines.append(f"jug: the jugfile {jugfile} raised {type(error).__name__} while it was "
                 f"being run{f' (line {where.lineno})' if where else ''}; fix it and run jug again.")
    return JugfileError("\n".join(lines), filename=jugfile,
                        lineno=where.lineno if where else 0, source_line=where.line if where else None)


def build_graph(tasks):
    """The TaskGraph of ``tasks`` (creation order) and the de-duplicated task
    objects aligned with it.  Tasks with the same hash are one task.

    One pass in C per column (a million tasks are a million iterations of
    each), and Python only for the tasks that have dependencies, when no
    task was created twice (the common case);
    :func:`_build_graph_deduplicating` otherwise."""
    from array import array
    from itertools import islice
    from operator import attrgetter, is_, lt

    from jug.graph import TaskGraph
    from jug.task import Task

    tasks = tasks if type(tasks) is tuple else tuple(tasks)
    get_key = attrgetter("key")
    hashes = list(map(get_key, tasks))
    index = dict(zip(hashes, range(len(hashes))))
    if len(index) != len(hashes):
        return _build_graph_deduplicating(tasks)
    plain = set(map(type, tasks)) <= {Task}
    names_of = list(map(attrgetter("_name" if plain else "name"), tasks))
    name_table = {name: i for i, name in enumerate(dict.fromkeys(names_of))}
    name_ids = _int_column(names_of, name_table.__getitem__)
    del names_of
    stages = _int_column(list(map(attrgetter("stage"), tasks)))
    find = index.get
    if plain:
        deps_of = list(map(attrgetter("_dependencies"), tasks))
    else:
        deps_of = [list(task.dependencies()) for task in tasks]
    # the CSR columns, written a task with dependencies at a time (a run of
    # tasks without any between two of them is one repeated entry of indptr)
    dep_indptr = array("i", [0])
    dep_indices = array("i")
    written = 0  # tasks whose indptr entry is written
    has_deps = bytes(map(bool, deps_of))  # searched in C: most tasks of a map have none
    position = has_deps.find(1)
    while position >= 0:
        if position > written:
            dep_indptr.extend(array("i", [len(dep_indices)]) * (position - written))
        written = position + 1
        deps = deps_of[position]
        first = find(deps[0].key)
        if (first is not None and first + len(deps) <= position
                and all(map(is_, deps, islice(tasks, first, first + len(deps))))):
            # a run of consecutive tasks (the reduce of a map): no lookup each
            dep_indices.extend(range(first, first + len(deps)))
        else:
            found = list(map(find, map(get_key, deps)))
            if None in found or max(found) >= position:  # not created before it
                _missing_dependency(tasks[position], deps, found, position)
            if len(found) > 1 and not all(map(lt, found, islice(found, 1, None))):
                found = sorted(set(found))  # not already increasing
            dep_indices.extend(found)
        dep_indptr.append(len(dep_indices))
        position = has_deps.find(1, written)
    del deps_of
    if len(tasks) > written:
        dep_indptr.extend(array("i", [len(dep_indices)]) * (len(tasks) - written))
    graph = TaskGraph(hashes, list(name_table), name_ids, stages, dep_indptr, dep_indices,
                      index=index)
    return graph, tasks


def _int_column(values, code=None):
    """``array("i")`` of ``values`` (of ``code(value)`` for each), made run by
    run when they are mostly runs of one object (a stage, a task name: a
    million tasks of a few functions), where converting each costs more."""
    from array import array
    from itertools import compress, islice
    from operator import is_not

    if not values:
        return array("i")
    if values.count(values[0]) == len(values):  # one run (all in stage 0)
        return array("i", [values[0] if code is None else code(values[0])]) * len(values)
    starts = list(compress(range(1, len(values)), map(is_not, values, islice(values, 1, None))))
    if len(starts) > len(values) >> 4:
        return array("i", values if code is None else list(map(code, values)))
    column = array("i")
    for start, end in zip([0, *starts], [*starts, len(values)]):
        value = values[start] if code is None else code(values[start])
        column.extend(array("i", [value]) * (end - start))
    return column


def _missing_dependency(task, deps, found, position):
    from jug.errors import GraphError

    dep = next(dep for dep, i in zip(deps, found) if i is None or i >= position)
    raise GraphError(
        f"task {task.name} depends on a task ({dep.name}, hash "
        f"{dep.key}) that was never created in this jugfile; a "
        "common cause is changing a task's argument after creating the task")


def _build_graph_deduplicating(tasks):
    """:func:`build_graph` when some task was created twice: the first is kept."""
    from jug.errors import GraphError
    from jug.graph import TaskGraphBuilder

    builder = TaskGraphBuilder()
    # TaskGraphBuilder.add_indexed, inlined: this loop runs once per task
    index = builder.index
    find = index.get
    hashes, names, name_table = builder.hashes, builder.names, builder._name_ids
    name_ids, stages = builder.name_ids, builder.stages
    dep_indptr, dep_indices = builder.dep_indptr, builder.dep_indices
    kept = []
    for task in tasks:
        key = task.key
        if key in index:
            continue  # the same task created twice
        deps = []
        for dep in task.dependencies():
            dep_index = find(dep.key)
            if dep_index is None:
                raise GraphError(
                    f"task {task.name} depends on a task ({dep.name}, hash "
                    f"{dep.key}) that was never created in this jugfile; a "
                    "common cause is changing a task's argument after creating the task")
            deps.append(dep_index)
        index[key] = len(hashes)
        hashes.append(key)
        name = task.name
        name_id = name_table.get(name)
        if name_id is None:
            name_id = name_table[name] = len(names)
            names.append(name)
        name_ids.append(name_id)
        stages.append(task.stage)
        if len(deps) > 1:
            deps = sorted(set(deps))
        dep_indices.extend(deps)
        dep_indptr.append(len(dep_indices))
        kept.append(task)
    return builder.build(), tuple(kept)
