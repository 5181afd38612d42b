"""JUG204: the jugfile's top level configures a library or the process."""

import textwrap

from jug.compiler.lint.model import WARNING, LintRule, Report

#: Calls that configure a third-party library or the process in a way a
#: worker running tasks from the manifest cannot replay (there is no getter
#: whose value the trace could record and set again).  Listed in the
#: docstring below; a test checks that the two agree.
PROCESS_CONFIGURATION_CALLS = (
    # matplotlib and seaborn
    "matplotlib.use", "matplotlib.rc", "matplotlib.rcdefaults", "matplotlib.rcParams.update",
    "matplotlib.style.use", "matplotlib.pyplot.style.use", "matplotlib.pyplot.switch_backend",
    "matplotlib.pyplot.rc", "matplotlib.pyplot.rcParams.update", "matplotlib.pyplot.ioff",
    "matplotlib.pyplot.ion", "seaborn.set", "seaborn.set_theme", "seaborn.set_style",
    "seaborn.set_context", "seaborn.set_palette",
    # logging
    "logging.basicConfig", "logging.config.dictConfig", "logging.config.fileConfig",
    "logging.disable", "logging.captureWarnings", "logging.setLoggerClass",
    # threads, devices and global state of numerical libraries
    "torch.set_num_threads", "torch.set_num_interop_threads", "torch.set_default_dtype",
    "torch.set_default_tensor_type", "torch.set_default_device", "torch.set_grad_enabled",
    "torch.use_deterministic_algorithms", "torch.manual_seed", "torch.cuda.set_device",
    "torch.set_float32_matmul_precision", "tensorflow.random.set_seed",
    "tensorflow.config.threading.set_intra_op_parallelism_threads",
    "tensorflow.config.threading.set_inter_op_parallelism_threads",
    "tensorflow.config.set_visible_devices", "tensorflow.config.experimental.set_memory_growth",
    "tensorflow.keras.mixed_precision.set_global_policy", "jax.config.update",
    "threadpoolctl.threadpool_limits", "numexpr.set_num_threads", "mkl.set_num_threads",
    "cv2.setNumThreads", "sklearn.set_config", "dask.config.set",
    # pandas and tqdm
    "pandas.set_option", "pandas.reset_option", "tqdm.pandas", "tqdm.tqdm.pandas",
    # the process
    "locale.setlocale", "signal.signal", "signal.alarm", "signal.setitimer",
    "faulthandler.enable", "resource.setrlimit", "os.nice", "atexit.register",
)

#: Attributes and items whose assignment configures a library the same way
#: (``plt.rcParams["font.size"] = 8``, ``pd.options.display.width = 120``).
PROCESS_CONFIGURATION_ATTRIBUTES = (
    "matplotlib.rcParams", "matplotlib.pyplot.rcParams", "pandas.options",
    "torch.backends.cudnn", "torch.backends.cuda",
)


def _matches(name: str, known) -> str | None:
    for candidate in known:
        if name == candidate or name.startswith(candidate + "."):
            return candidate
    return None


_DOC = """A worker running tasks from the manifest does not run the jugfile's top
level: it replays what the trace recorded of the state the top level left
behind (environment variables, ``sys.path``, the working directory, local
modules, and settings with a getter and a setter such as the recursion
limit, warnings filters, numpy's error state or the random generators).
A call that configures a third-party library or the process cannot be
replayed that way, so a worker of such a jugfile runs its top level before
its first task (as the original jug does): every worker starts slower, and
the jugfile runs once per worker.

Flagged when it runs while the jugfile is imported (at its top level, in a
function called from there, or at the top level of a local module it
imports), not inside a task.  The calls (``PROCESS_CONFIGURATION_CALLS`` in
the rule's module; a name also matches its attributes):

{calls}

and assignments to an attribute or item of (``PROCESS_CONFIGURATION_ATTRIBUTES``):

{attributes}

as in ``plt.rcParams["font.size"] = 8``.  A file that never imports jug is
not a jugfile and is not checked.

Move the call into the task functions that need it (a plotting task can call
``matplotlib.use("Agg")`` itself), or accept the slower start.  See
docs/manifest.md, "What a task sees".
"""


def _listed(names) -> str:
    return textwrap.fill(", ".join(f"``{name}``" for name in names), width=76)


class ProcessConfiguration(LintRule):
    __doc__ = _DOC.format(calls=_listed(PROCESS_CONFIGURATION_CALLS),
                          attributes=_listed(PROCESS_CONFIGURATION_ATTRIBUTES))

    code = "JUG204"
    name = "process-configuration"
    severity = WARNING
    jugfiles_only = True
    summary = "The jugfile's top level configures a library or the process."
    message = ("top-level {what} configures the process; workers run the jugfile's top level "
               "before tasks (slower start); move it into the tasks that need it, see "
               "docs/manifest.md")

    VALID = (
        """\
import matplotlib
from jug import TaskGenerator

@TaskGenerator
def plot(values, path):
    # configured inside the task: nothing for a worker to replay
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.plot(values)
    plt.savefig(path)
    return path

figure = plot([1, 2, 3], "out.png")
""",
    )
    INVALID = (
        """\
import logging
import matplotlib
from jug import TaskGenerator

matplotlib.use("Agg")  # <- JUG204
logging.basicConfig(level=logging.INFO)  # <- JUG204

@TaskGenerator
def plot(values, path):
    return values, path

figure = plot([1, 2, 3], "out.png")
""",
        """\
import matplotlib.pyplot as plt
import torch
from jug import TaskGenerator

@TaskGenerator
def train(size):
    return torch.zeros(size).sum().item()

def configure():
    torch.set_num_threads(4)  # <- JUG204
    plt.rcParams["font.size"] = 8  # <- JUG204

configure()
model = train(10)
""",
    )

    def check_call(self, call):
        if not call.at_import:
            return ()
        for name in call.qualified_names:
            known = _matches(name, PROCESS_CONFIGURATION_CALLS)
            if known is not None:
                return (Report(call.node, self.message.format(what=f"call to {name}()")),)
        return ()

    def check_store(self, store):
        known = _matches(store.qualified_name, PROCESS_CONFIGURATION_ATTRIBUTES)
        if known is None:
            return ()
        return (Report(store.node, self.message.format(
            what=f"assignment to {store.qualified_name}")),)
