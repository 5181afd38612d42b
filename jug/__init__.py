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

# What ``import jug`` made available in the original jug 2.x, for scripts
# that use ``jug.utils.identity`` or ``jug.file_store.file_store(...)`` after
# a plain ``import jug``: imported when first used, so that importing jug
# stays light.
_ORIGINAL_MODULES = {
    "backends": "jug.backends", "hash": "jug.hash", "hooks": "jug.hooks", "jug": "jug.jug",
    "jug_version": "jug.jug_version", "options": "jug.options", "utils": "jug.utils",
    "file_store": "jug.backends.file_store", "dict_store": "jug.backends.dict_store",
    "redis_store": "jug.backends.redis_store",
}


def __getattr__(name):
    module = _ORIGINAL_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'jug' has no attribute {name!r}")
    import importlib

    return importlib.import_module(module)
