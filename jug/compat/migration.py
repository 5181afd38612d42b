"""``jug migrate``: import the results of the original jug 2.x into this
jug's store, without running any task.

The jugfile is traced (run with task creation recorded, as every command
does) in a :class:`MigrationContext`, which gives every task created its
jug 2.x hash (:mod:`jug.compat.jug2_hash`) the moment it is created.  The
trace's store is an :class:`ImportingStore`: when the jugfile asks whether
a result exists (``barrier()``, ``bvalue()``, ``CompoundTask``,
``CachedFunction``) and only the old store has it, it is imported there and
then, so one trace gets through every barrier whose tasks the original
finished.  After the trace, every task still without a result in the new
store is looked up in the old one by its jug 2.x hash and imported.  The
jugfile is re-traced while a trace stopped early and imported something,
then a fresh manifest is compiled so that ``jug status`` answers at once.

Nothing in the old store is modified or deleted, also when both stores
share a directory or database (the keys differ: a jug 2.x hash is never one
of ours).  Results of the old store that no task maps to are left where they
are and listed.
"""

import dataclasses
import os

from jug.compat import as_text
from jug.context import JugContext

# What happened to each task, per task name (columns of the report).
IMPORTED, PRESENT, MISSING, FAILED = "imported", "present", "missing", "failed"
CATEGORIES = (IMPORTED, PRESENT, MISSING, FAILED)


@dataclasses.dataclass(frozen=True)
class MigrationReport:
    """What ``migrate`` did (or, with ``dry_run``, would do)."""

    source: str  # where the old results are
    source_kind: str  # "file store", "Redis store", "dict_store file"
    target: str  # where ours are
    dry_run: bool
    counts: dict  # {category: {task name: count}}
    failures: tuple  # (task name, why) for each task counted as FAILED
    unmapped: tuple  # keys of the old store no task maps to, sorted
    stopped_at: str | None  # the last trace stopped there (tasks after it are unknown)
    traces: int
    notes: tuple = ()  # problems with the old store as a whole (its pack file)
    finished: int | None = None  # tasks of the fresh manifest with a result (not in a dry run)
    total: int | None = None  # tasks of the fresh manifest
    in_place: bool = False  # imported into the store the original wrote (the same place)

    def count(self, category):
        return sum(self.counts[category].values())


class MigrationContext(JugContext):
    """A trace context that computes each task's jug 2.x hash when the task
    is created, and remembers the outer task a ``CompoundTask`` unregisters
    (the original stored the compound's result under the outer's hash)."""

    def __init__(self, store, hasher):
        super().__init__(store=store, running=True)
        self.hasher = hasher
        self.by_key = {}  # our hash (str) -> the first task created with it

    def register(self, task):
        super().register(task)
        self.hasher.hash_or_error(task)
        self.by_key.setdefault(task.hash().decode("ascii"), task)

    def unregister(self, task):
        super().unregister(task)
        key = task.hash().decode("ascii")
        self.hasher.outer_tasks[key] = task
        if self.by_key.get(key) is task:
            del self.by_key[key]

    def jug2_key(self, key):
        """The jug 2.x hash (str) of the task ours is ``key``, or None."""
        task = self.by_key.get(key)
        if task is None:
            return None
        digest = self.hasher.known(task)
        return digest.decode("ascii") if isinstance(digest, bytes) else None


class ImportingStore:
    """The store a migration trace sees: ours, plus every result of the old
    store that a task of the trace maps to, imported when first asked for
    (kept in memory only, not saved, in a dry run).  Other methods are
    those of the new store."""

    def __init__(self, new, old, dry_run):
        self.new = new
        self.old = old
        self.dry_run = dry_run
        self.context = None  # the MigrationContext, set once it exists
        self.imported = {}  # our key -> jug 2.x key
        self.failures = {}  # our key -> why the old result could not be read
        self.computed = {}  # results the jugfile computed (CachedFunction): kept in a dry run

    def __getattr__(self, name):
        return getattr(self.new, name)

    def _old_key(self, key):
        if self.context is None:
            return None
        old_key = self.context.jug2_key(key)
        return old_key if old_key is not None and self.old.exists(old_key) else None

    def import_result(self, key, old_key):
        """Copy the old result ``old_key`` to ours ``key``; False (and the
        reason in ``failures``) when it cannot be read."""
        from jug.compat.jug2_store import OriginalStoreError

        if not self.dry_run:
            try:
                value = self.old.load(old_key)
            except OriginalStoreError as error:
                self.failures[key] = str(error)
                return False
            self.new.save(key, value)
        self.imported[key] = old_key
        return True

    def exists(self, key):
        return self.exists_many([key])[0]

    def exists_many(self, keys):
        keys = [as_text(key) for key in keys]
        known = [key in self.imported or key in self.computed for key in keys]
        unknown = [key for key, done in zip(keys, known) if not done]
        present = dict(zip(unknown, self.new.exists_many(unknown))) if unknown else {}
        answers = []
        for key, done in zip(keys, known):
            if not done and not present[key] and key not in self.failures:
                old_key = self._old_key(key)
                done = old_key is not None and self.import_result(key, old_key)
            answers.append(done or present.get(key, False))
        return answers

    def load(self, key):
        key = as_text(key)
        if key not in self.imported and key not in self.computed and not self.exists(key):
            from jug.errors import ResultMissing

            raise ResultMissing(f"no result for task {key} in either store")
        if self.dry_run and key in self.computed:
            return self.computed[key]
        if self.dry_run and key in self.imported:
            return self.old.load(self.imported[key])
        return self.new.load(key)

    def save(self, key, value):
        key = as_text(key)
        if self.dry_run:
            self.computed[key] = value
        else:
            self.new.save(key, value)
            self.computed[key] = None  # only its key is needed from now on


def migrate(jugfile, argv, new_store, old_store, dry_run=False):
    """Import into ``new_store`` the results ``old_store`` (a
    :class:`jug.compat.jug2_store.OriginalStore`) holds for the tasks of
    ``jugfile`` run with ``argv``; returns a :class:`MigrationReport`."""
    from jug.compat.jug2_hash import Jug2Hasher
    from jug.compiler.trace import trace_jugfile

    present_before = new_store.list_keys()
    shared = _same_place(new_store, old_store)
    importing = ImportingStore(new_store, old_store, dry_run)
    traces = 0
    while True:
        context = MigrationContext(importing, Jug2Hasher())
        importing.context = context
        before = len(importing.imported)
        trace = trace_jugfile(jugfile, importing, argv=argv, context=context)
        traces += 1
        old_store.retry()
        old_keys = old_store.list_keys()
        counts = {category: {} for category in CATEGORIES}
        failures = []
        mapped = set()
        for task in trace.tasks:
            key = task.hash().decode("ascii")
            digest = context.hasher.known(task)
            old_key = digest.decode("ascii") if isinstance(digest, bytes) else None
            if old_key is not None:
                mapped.add(old_key)
            if key in importing.imported:
                category = IMPORTED
            elif key in present_before or key in importing.computed:
                category = PRESENT
            elif old_key is None:
                category = FAILED
                failures.append((task.name, f"its jug 2.x hash cannot be computed ({digest})"))
            elif old_key in old_keys and importing.import_result(key, old_key):
                category = IMPORTED
            elif key in importing.failures:
                category = FAILED
                failures.append((task.name, importing.failures[key]))
            else:
                category = MISSING
            counts[category][task.name] = counts[category].get(task.name, 0) + 1
        if trace.complete or len(importing.imported) == before:
            break
    unmapped = old_keys - mapped - set(importing.imported.values())
    if shared:
        unmapped = {key for key in unmapped if old_store.is_original(key)}
    report = MigrationReport(
        source=old_store.describe(), source_kind=old_store.kind, target=new_store.describe(),
        dry_run=dry_run, counts=counts, failures=tuple(failures),
        in_place=shared and _in_place(new_store, old_store),
        unmapped=tuple(sorted(unmapped)), stopped_at=trace.stopped_at, traces=traces,
        notes=tuple(note for note in [getattr(old_store, "pack_error", None)] if note))
    if dry_run:
        return report
    from jug.compiler.build import obtain_manifest

    manifest, _ = obtain_manifest(jugfile, new_store, argv=argv, announce=lambda line: None)
    keys = new_store.list_keys()
    finished = sum(1 for digest in manifest.graph.hashes if digest in keys)
    report = dataclasses.replace(report, finished=finished, total=len(manifest.graph))
    _record(new_store, report)
    return report


def _record(store, report):
    """Leave the report in the store: ``jug status`` then knows that the
    original's results left there were looked at (jug.compat.detect)."""
    import json
    import time

    from jug.compat.detect import MIGRATED_BLOB

    record = {"migrated_at": time.time(), "source": report.source, "kind": report.source_kind,
              "imported": report.count(IMPORTED), "unmapped": len(report.unmapped)}
    store.put_blob(MIGRATED_BLOB, json.dumps(record, sort_keys=True).encode())


def _same_place(new_store, old_store):
    """May the two stores share a directory or a Redis database?  (Then the
    old store's listing holds our results too.)"""
    new_path = getattr(new_store, "path", None)
    old_path = getattr(old_store, "path", None)
    if isinstance(new_path, str) and isinstance(old_path, str):
        return os.path.realpath(new_path) == os.path.realpath(old_path)
    return old_store.kind == "Redis store"  # cheap to check key by key: assume so


def _in_place(new_store, old_store):
    """Is ``new_store`` the very directory or Redis database the original
    wrote (the results were imported next to its own)?"""
    if isinstance(getattr(old_store, "path", None), str):
        return _same_place(new_store, old_store)
    where = []
    for store in (new_store, old_store):
        pool = getattr(getattr(store, "_client", None), "connection_pool", None)
        settings = getattr(pool, "connection_kwargs", None) or {}
        where.append((settings.get("host", "localhost"), settings.get("port", 6379),
                      int(settings.get("db", 0) or 0)))
    return where[0] == where[1] and None not in (getattr(new_store, "_client", None),
                                                getattr(old_store, "_client", None))


_LISTED = 20


def run(options, source=None, dry_run=False, list_unmapped=False, out=None):
    """``jug migrate``: migrate the results of ``source`` (default: the
    ``--jugdir`` itself) into the ``--jugdir`` store, print what was done,
    and return the exit code (1 when the old store has results and no task
    maps to any of them)."""
    import sys

    from jug.compat.jug2_store import open_original_store
    from jug.io import print_task_summary_table
    from jug.project import open_project_store

    out = out or sys.stdout
    with open_original_store(source or options.jugdir) as old, open_project_store(options) as new:
        report = migrate(options.jugfile, options.argv, new, old, dry_run=dry_run)
    titles = {IMPORTED: "Importable" if dry_run else "Imported", PRESENT: "Present",
              MISSING: "Missing", FAILED: "Failed"}
    print(f"{'Dry run: nothing is written. ' if dry_run else ''}Results of the original jug "
          f"in {report.source} ({report.source_kind}) for the tasks of {options.jugfile}, "
          f"into {report.target}:", file=out)
    print_task_summary_table(options, [(titles[c], report.counts[c]) for c in CATEGORIES],
                             file=out)
    for line in summary_lines(report, options, list_unmapped):
        print(line, file=out)
    matched = report.count(IMPORTED) + report.count(PRESENT)
    return 1 if report.unmapped and not matched else 0


def summary_lines(report, options, list_unmapped=False):
    """The sentences after the table."""
    lines = []
    imported = report.count(IMPORTED)
    verb = "would be imported" if report.dry_run else "imported"
    lines.append(f"{imported} result{'s' if imported != 1 else ''} {verb}; "
                 f"{report.count(PRESENT)} already present.")
    missing = report.count(MISSING)
    if missing:
        lines.append(f"{missing} task{'s have' if missing != 1 else ' has'} no result in the "
                     "original's store: `jug execute` will compute "
                     f"{'them' if missing != 1 else 'it'}.")
    lines.extend(f"jug: {note}" for note in report.notes)
    for name, why in report.failures[:_LISTED]:
        lines.append(f"  not imported: {name}: {why}")
    if len(report.failures) > _LISTED:
        lines.append(f"  ... and {len(report.failures) - _LISTED} more tasks not imported")
    if report.stopped_at:
        lines.append(f"The jugfile stops at {report.stopped_at}: the tasks before it lack "
                     "results, so the tasks after it are not known yet; run `jug execute`, "
                     "then `jug migrate` again.")
    if report.unmapped:
        shown = report.unmapped if list_unmapped else report.unmapped[:_LISTED]
        count = len(report.unmapped)
        lines.append(f"{count} result{'s' if count != 1 else ''} of the original "
                     f"match{'' if count != 1 else 'es'} no task of {options.jugfile} (its "
                     "code or arguments changed since, or the inside of a finished "
                     f"CompoundTask); left where {'they are' if count != 1 else 'it is'} "
                     f"in {report.source}:")
        lines.extend(f"  {key}" for key in shown)
        if len(shown) < len(report.unmapped):
            lines.append(f"  ... and {len(report.unmapped) - len(shown)} more "
                         "(--list-unmapped lists them all)")
        if not report.count(IMPORTED) + report.count(PRESENT):
            lines.append(f"jug: no task of {options.jugfile} matches a result of the original: "
                         "is this the jugfile (with the same arguments) that computed them?")
    if report.total is not None:
        kept = (f"The original's results in {report.source} were left as they were (the "
                "imported copies are stored next to them, under this jug's names)."
                if report.in_place else f"Nothing in {report.source} was changed.")
        lines.append(f"{kept} {report.finished} of {report.total} tasks now have their result "
                     f"(`jug status {options.jugfile}`).")
    return lines
