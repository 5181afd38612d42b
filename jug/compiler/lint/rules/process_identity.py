"""JUG105: a value that identifies this process, host or object reaches a task."""

import libcst as cst

from jug.compiler.lint.model import ERROR, VALUE, LintRule

_SOURCES = {
    "uuid.uuid1": "time-based UUID",
    "uuid.uuid4": "random UUID",
    "os.getpid": "process id",
    "os.getppid": "process id",
    "builtins.id": "object address",
    "threading.get_ident": "thread id",
    "threading.get_native_id": "thread id",
    "socket.gethostname": "host name",
    "socket.getfqdn": "host name",
    "platform.node": "host name",
    "os.uname": "host name",
    "tempfile.mkdtemp": "temporary name",
    "tempfile.mkstemp": "temporary name",
    "tempfile.mktemp": "temporary name",
    "tempfile.NamedTemporaryFile": "temporary name",
    "tempfile.TemporaryDirectory": "temporary name",
    "tempfile.TemporaryFile": "temporary file",
    "tempfile.SpooledTemporaryFile": "temporary file",
}


class ProcessIdentity(LintRule):
    """Some values name *this* process rather than the computation: UUIDs
    from ``uuid.uuid1``/``uuid4``, ``os.getpid()``, ``id(obj)`` (a memory
    address), ``hash()`` of a string or bytes (salted per process by
    ``PYTHONHASHSEED``), temporary file and directory names from
    ``tempfile``, the host name.  Each jug process (every ``jug execute``
    worker, on every host) sees a different value, so a task receiving one
    is a different task in every process.

    Derive the value from the task's inputs instead: a name, a counter, or a
    content digest such as ``hashlib.sha1(data).hexdigest()``; create
    temporary files inside the task that uses them.
    """

    code = "JUG105"
    name = "process-identity"
    severity = ERROR
    summary = "A process, host or object identity reaches a task argument."
    message = ("{source} (line {line}) reaches {argument} of task `{task}`; derive it from "
               "the task's inputs instead (a name, a counter, hashlib of the content)")

    VALID = (
        """\
import hashlib
from jug import TaskGenerator

@TaskGenerator
def store(key, text):
    return key, text

text = "some input"
key = hashlib.sha1(text.encode()).hexdigest()
saved = store(key, text)
""",
    )
    INVALID = (
        """\
import uuid
from jug import TaskGenerator

@TaskGenerator
def run(run_id, n):
    return run_id, n

result = run(str(uuid.uuid4()), 10)  # <- JUG105
""",
        """\
import tempfile
from jug import TaskGenerator

@TaskGenerator
def unpack(archive, into):
    return archive, into

workdir = tempfile.mkdtemp()
files = unpack("data.tar", into=workdir)  # <- JUG105
""",
        """\
from jug import TaskGenerator

@TaskGenerator
def bucket(name, slot):
    return name, slot

buckets = [bucket(name, hash(name) % 8) for name in ["a", "b", "c"]]  # <- JUG105
""",
    )

    def source(self, call):
        if call.matches(("builtins.hash",)):
            positional = call.positional()
            if positional and isinstance(positional[0].value, (cst.Integer, cst.Float)):
                return None
            return call.taint(self, VALUE,
                              "hash() of a string or bytes (salted per process)")
        name = call.matches(_SOURCES)
        if name is not None:
            shown = name.replace("builtins.", "")
            return call.taint(self, VALUE, f"{_SOURCES[name]} from {shown}()")
        return None
