"""The parts of jug's public API that create tasks, by qualified name.

The analysis knows the qualified name of every callee it can resolve (from
the imports and assignments it followed) and looks it up here, so ``import
jug; jug.mapreduce.map``, ``from jug import mapreduce`` and ``from
jug.mapreduce import map as jmap`` are all recognised.
"""

from __future__ import annotations

import dataclasses

#: ``@TaskGenerator`` / ``TaskGenerator(f)``: calling the result creates a task.
TASK_GENERATORS = frozenset({"jug.TaskGenerator", "jug.task.TaskGenerator"})

#: ``@CompoundTaskGenerator``: like a TaskGenerator, and its body may create tasks.
COMPOUND_GENERATORS = frozenset({"jug.CompoundTaskGenerator",
                                 "jug.compound.CompoundTaskGenerator"})

#: ``X(f, *args, **kwargs)``: a task (or cached call) of ``f``.  CachedFunction
#: is defined in jug.api and exported as jug.CachedFunction (the original jug
#: also has jug.task.CachedFunction; this jug does not).
FUNCTION_FIRST = {
    "jug.Task": "Task",
    "jug.task.Task": "Task",
    "jug.CachedFunction": "CachedFunction",
    "jug.api.CachedFunction": "CachedFunction",
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

#: What ``from jug import *`` binds, for name resolution.
STAR_NAMES = ("Task", "TaskGenerator", "Tasklet", "value", "barrier", "bvalue", "CachedFunction",
              "CompoundTask", "CompoundTaskGenerator", "iteratetask", "return_tuple", "init",
              "set_jugdir", "is_jug_running")


def is_jug(module: str) -> bool:
    return module == "jug" or module.startswith("jug.")
