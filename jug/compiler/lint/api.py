"""The parts of jug's public API that create tasks, by qualified name.

The analysis asks libcst for the qualified name of every callee and looks it
up here, so ``import jug; jug.mapreduce.map``, ``from jug import mapreduce``
and ``from jug.mapreduce import map as jmap`` are all recognised.
"""

from __future__ import annotations

import dataclasses

#: ``@TaskGenerator`` / ``TaskGenerator(f)``: calling the result creates a task.
TASK_GENERATORS = frozenset({"jug.TaskGenerator", "jug.task.TaskGenerator"})

#: ``@CompoundTaskGenerator``: like a TaskGenerator, and its body may create tasks.
COMPOUND_GENERATORS = frozenset({"jug.CompoundTaskGenerator",
                                 "jug.compound.CompoundTaskGenerator"})

#: ``X(f, *args, **kwargs)``: a task (or cached call) of ``f``.
FUNCTION_FIRST = {
    "jug.Task": "Task",
    "jug.task.Task": "Task",
    "jug.CachedFunction": "CachedFunction",
    "jug.task.CachedFunction": "CachedFunction",
    "jug.utils.CachedFunction": "CachedFunction",
    "jug.CompoundTask": "CompoundTask",
    "jug.compound.CompoundTask": "CompoundTask",
}

COMPOUND_CREATORS = frozenset({"CompoundTask"})


@dataclasses.dataclass(frozen=True)
class MapReduceSignature:
    """Where the functions and the input sequence of a jug.mapreduce helper are."""

    display: str
    parameters: tuple          # positional parameter names
    functions: tuple           # parameters that are the task functions
    sequence: str              # parameter whose order becomes task arguments

    def task_function(self) -> str:
        return self.functions[-1]


MAPREDUCE = {
    "jug.mapreduce.map": MapReduceSignature(
        "mapreduce.map", ("mapper", "sequence", "map_step"), ("mapper",), "sequence"),
    "jug.mapreduce.currymap": MapReduceSignature(
        "mapreduce.currymap", ("mapper", "sequence", "map_step"), ("mapper",), "sequence"),
    "jug.mapreduce.mapreduce": MapReduceSignature(
        "mapreduce.mapreduce", ("reducer", "mapper", "inputs", "map_step", "reduce_step"),
        ("reducer", "mapper"), "inputs"),
    "jug.mapreduce.reduce": MapReduceSignature(
        "mapreduce.reduce", ("reducer", "inputs", "reduce_step"), ("reducer",), "inputs"),
}

#: Task generators that jug itself defines: qualified name -> parameters.
BUILTIN_TASKS = {
    "jug.utils.identity": ("identity", ("x",)),
    "jug.utils.jug_execute": ("jug_execute", ("args", "check_exit", "run_after",
                                              "return_value")),
}

#: Calls whose result is the value of a task: deterministic when the task is.
TASK_VALUES = frozenset({"jug.value", "jug.task.value", "jug.bvalue", "jug.barrier.bvalue",
                         "jug.utils.cached_glob"})
