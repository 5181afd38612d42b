"""Optional execution reports registered as hooks."""

import collections
import time

from jug.hooks import register_hook, register_hook_once


def register_time_tasks():
    """At the end of ``jug execute`` print the mean run time per task name."""
    times = collections.defaultdict(list)
    started = {}

    def before(task):
        started[id(task)] = time.perf_counter()

    def after(task):
        start = started.pop(id(task), None)
        if start is not None:
            times[task.name].append(time.perf_counter() - start)

    def report():
        print("TIMES")
        print("-----")
        for name, values in sorted(times.items()):
            print(f"{name:20} {sum(values) / len(values):.2f}s ({len(values)} tasks)")

    register_hook_once("execute.task-pre-execute", "register_time_tasks", before)
    register_hook_once("execute.task-executed1", "register_time_tasks", after)
    register_hook_once("execute.finished_post_status", "register_time_tasks", report)


__all__ = ["register_time_tasks", "register_hook"]
