"""How a worker computes task ``i`` of a graph: the :class:`Runner` protocol
and its two implementations, side by side.

* :class:`TraceRunner` runs the live Task objects of a trace (this process
  just ran the jugfile).
* :class:`ManifestRunner` runs the functions and arguments decoded from a
  manifest's payload (the jugfile is not run).

:func:`jug.execution.execute_graph` needs nothing else from either.
"""

import sys
import typing


@typing.runtime_checkable
class Runner(typing.Protocol):
    """What :func:`jug.execution.execute_graph` asks of a runner.  ``i`` is a
    graph index; the executor calls :meth:`run` only once every dependency of
    ``i`` is finished."""

    def task(self, i):
        """The Task object hooks receive for task ``i``."""

    def run(self, i, debug=False):
        """Compute task ``i`` and keep its result in memory; returns it.
        ``debug`` checks that the task did not modify its arguments."""

    def unloaded_dependencies(self, i):
        """The dependency tasks of ``i`` whose results are not in memory (the
        executor loads them in one batch before :meth:`run`)."""

    def forget_dependencies(self, i):
        """Drop the in-memory results of ``i``'s dependencies
        (``--aggressive-unload``)."""


class TraceRunner:
    """Computes tasks from the live Task objects of a trace."""

    def __init__(self, tasks):
        self.tasks = tasks

    def task(self, i):
        return self.tasks[i]

    def run(self, i, debug=False):
        from jug.task import compute_checked

        task = self.tasks[i]
        if debug:
            result = compute_checked(task.name, task.args, task.kwargs, task.compute)
        else:
            result = task.compute()
        task.set_result(result)
        return result

    def forget_dependencies(self, i):
        for dep in self.tasks[i].dependencies():
            dep.unload()

    def unloaded_dependencies(self, i):
        return [dep for dep in self.tasks[i].dependencies() if not dep.is_loaded()]


class ManifestRunner:
    """Computes tasks from a decoded payload
    (:func:`jug.compiler.manifest.decode_payload`), whose rows are read
    from the store as tasks need them."""

    def __init__(self, graph, payload, stubs):
        self.graph = graph
        self.payload = payload
        self.stubs = stubs
        self.started = False

    def task(self, i):
        return self.stubs[i]

    def run(self, i, debug=False):
        call = self.payload.call(i)
        if not self.started:
            self.started = True
            _report_reads()
        if debug:
            from jug.task import compute_checked

            result = compute_checked(self.graph.name(i), call.args, call.kwargs, call.compute)
        else:
            result = call.compute()
        self.stubs[i].set_result(result)
        return result

    def forget_dependencies(self, i):
        for dep in self.graph.dependencies(i):
            stub = self.stubs.get(dep)
            if stub is not None:
                stub.unload()

    def unloaded_dependencies(self, i):
        stubs = (self.stubs.get(dep) for dep in self.graph.dependencies(i))
        return [stub for stub in stubs if stub is not None and not stub.is_loaded()]


def _report_reads():
    """Log (``--verbose info``) what was read from the store's blobs before
    the first task ran: the benchmarks' measure of a worker's start."""
    if "logging" not in sys.modules:  # nobody asked for logs
        return
    import logging

    from jug.compiler.manifest import BLOB_READS

    logging.getLogger("jug").info("first task: read %d bytes in %d blobs from the store",
                                  BLOB_READS.bytes, BLOB_READS.blobs)
