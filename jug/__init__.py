"""jug: task-based parallel, reproducible computation.

The public API of the manual: ``Task``, ``TaskGenerator``, ``Tasklet``,
``value``, ``barrier``, ``bvalue``, ``CachedFunction``, ``CompoundTask``,
``CompoundTaskGenerator``, ``iteratetask``, ``return_tuple``, ``init``,
``set_jugdir``, ``is_jug_running``.  Importing ``jug`` is light: numpy, redis,
libcst and graphviz are imported only by the code that needs them.
"""

from jug.api import CachedFunction, init, is_jug_running, set_jugdir
from jug.barrier import barrier, bvalue
from jug.compound import CompoundTask, CompoundTaskGenerator
from jug.task import Task, TaskGenerator, Tasklet, iteratetask, return_tuple, value
from jug.version import __version__

__all__ = [
    "Task", "TaskGenerator", "Tasklet", "value", "barrier", "bvalue", "CachedFunction",
    "CompoundTask", "CompoundTaskGenerator", "iteratetask", "return_tuple", "init",
    "set_jugdir", "is_jug_running", "__version__",
]
