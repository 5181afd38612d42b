"""JUG105: a value that identifies this process, host or object reaches a task."""

from jug.compiler.lint.model import ERROR, VALUE, LintRule
from jug.compiler.lint.values import NUMERIC

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
    message = ("{source} ({where}) reaches {argument} of task `{task}`; derive it from "
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
        """\
from jug import TaskGenerator

@TaskGenerator
def analyse(plate, slot):
    return plate, slot

def slot_of(plate):
    return hash(plate) % 8     # an int hashes to itself

runs = [analyse(plate, slot_of(plate)) for plate in range(1, 97)]
also = analyse(3, hash((3, 4.5, True)))
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
            kind = positional[0].type if positional else None
            if kind in NUMERIC:
                return None   # ints, floats, bools, None and tuples of them: deterministic
            if kind in ("str", "bytes", "path"):
                return call.taint(self, VALUE, "hash() of a string or bytes (salted per "
                                               "process by PYTHONHASHSEED)")
            return call.taint(self, VALUE, "hash() of a value not known to be a number "
                                           "(strings, bytes and objects hash differently "
                                           "in every process)")
        name = call.matches(_SOURCES)
        if name is not None:
            shown = name.replace("builtins.", "")
            return call.taint(self, VALUE, f"{_SOURCES[name]} from {shown}()")
        return None
