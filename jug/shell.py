"""``jug shell``: the jugfile's namespace, live tasks, and a few helpers.

The shell traces the jugfile (it hands out live Task objects) with the
context left active, so ``value(task)`` works at the prompt.
"""

import sys

from jug.errors import JugError

BANNER = """\
=========
Jug Shell
=========

Available jug functions:
    - value(task): loads the result of a task
    - load_all(): loads the results of every task in the jugfile
    - invalidate(task): removes the result of task and of everything downstream
    - get_tasks(): every task of the jugfile
    - get_filtered_tasks(loadable=False, failed=False, available=False)
"""


def shell_namespace(trace):
    """The jugfile's globals plus the shell helpers."""
    from jug.graph import closure
    from jug.task import Task, value

    graph, tasks = trace.graph, trace.tasks

    def load_all():
        for name, obj in list(namespace.items()):
            if name.startswith("__"):
                continue
            try:
                value(obj)
            except Exception as error:  # report and go on, as the helper promises
                print(f"Error while loading {name}: {error}")

    def invalidate(task):
        index = graph.index_of(task.key) if isinstance(task, Task) else None
        if index is None:
            raise JugError(f"{task!r} is not a task of this jugfile")
        doomed = closure(graph, [index], downstream=True)
        for i in doomed:
            tasks[i].unload()
        removed = trace.context.store.remove_many([graph.hashes[i] for i in doomed])
        print(f"Invalidated {len(removed)} results ({len(doomed)} tasks)")

    def get_tasks():
        return list(tasks)

    def get_filtered_tasks(loadable=False, failed=False, available=False):
        keys = trace.context.store.list_keys()
        chosen = []
        for task in tasks:
            done = task.key in keys
            if ((loadable and done) or (failed and task.is_failed())
                    or (available and not done and task.can_run())):
                chosen.append(task)
        return chosen

    namespace = dict(vars(trace.module))
    namespace.update(value=value, load_all=load_all, invalidate=invalidate,
                     get_tasks=get_tasks, get_filtered_tasks=get_filtered_tasks)
    return namespace


def run_shell(options):
    try:
        from IPython.terminal.embed import InteractiveShellEmbed
    except ImportError:
        print("jug: Error: could not import IPython libraries; install them with "
              "`pip install ipython` (or `pip install jug[shell]`).", file=sys.stderr)
        return 1
    from jug.compiler.trace import trace_jugfile
    from jug.project import open_project_store

    store = open_project_store(options)
    trace = trace_jugfile(options.jugfile, store, argv=options.argv, persistent=True)
    namespace = shell_namespace(trace)
    shell = InteractiveShellEmbed(banner1=BANNER, user_ns=namespace)
    if shell.has_trait("enable_tip"):
        shell.enable_tip = False  # IPython 9 adds a random tip under jug's banner
    shell()
    return 0
