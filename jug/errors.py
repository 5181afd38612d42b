"""The exception hierarchy.  Library code raises these; only ``jug.cli`` turns
them into messages and exit codes."""


class JugError(Exception):
    """Base of every error jug raises on purpose.  ``str(err)`` is a complete,
    user-facing message: what went wrong and what to do next."""

    exit_code = 1


class ConfigError(JugError):
    """A configuration value (a jugrc file, a ``JUG_*`` environment variable,
    a ``--jugdir`` template) cannot be used."""


class JugfileError(JugError):
    """The jugfile could not be parsed or raised while being traced.

    Carries ``filename``, ``lineno`` and ``col`` (1-based, 0 when unknown) so the
    message reads like Python's own."""

    def __init__(self, message, filename=None, lineno=0, col=0, source_line=None):
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.source_line = source_line


class StoreError(JugError):
    """A store could not be opened or answered wrongly (unreachable Redis,
    unknown --jugdir scheme, unwritable directory, corrupt result)."""


class CorruptResult(StoreError):
    """A stored result failed its checksum or could not be decoded.  ``key``
    (the task hash), ``where`` (a path or Redis key) and ``reason`` say
    which, where and why (None when not known)."""

    def __init__(self, message, key=None, where=None, reason=None):
        super().__init__(message)
        self.key, self.where, self.reason = key, where, reason


class ResultMissing(StoreError, KeyError):
    """``load`` of a key that has no stored result (``key``: its hash, None
    when not known)."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key

    def __str__(self):
        return Exception.__str__(self)


class ResultNotSaved(StoreError):
    """One result could not be stored (it cannot be pickled, the disk is
    full): its task fails, other tasks may still be saved."""


class ManifestError(JugError):
    """A manifest could not be read (unknown version, corrupt bytes)."""


class GraphError(JugError):
    """The task graph is inconsistent (a cycle, a dependency never created)."""
