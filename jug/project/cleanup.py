"""``jug cleanup``: remove what no task refers to, and the locks of dead
workers; never what might still be needed.

What is kept, and why (each is said in one line of the output):

* results of the tasks of the jugfile's current manifest;
* results referenced by the other manifests in the store: the same jugfile
  with other arguments (each argument list has its manifest), the same
  jugfile and arguments in other environments (the candidates of
  :mod:`jug.compiler.index`, up to ``MAX_CANDIDATES`` of them), other
  jugfiles sharing the jugdir.  They are found by listing the store's
  ``manifest-*`` blobs, which is every manifest an index lists and also
  those no index lists any more (kept: nothing proves them unused);
  ``--current-only`` ignores them, and removes those manifests with the
  payload and chunk blobs no remaining manifest uses
  (:mod:`jug.compiler.blobs`);
* when a manifest stopped at a barrier (or a ``bvalue``), every result: the
  tasks after the barrier are not known until it is passed, and any result
  may be one of theirs (a task's hash does not tell which stage made it),
  so nothing unreferenced is provably garbage.  Run cleanup once the
  barrier is passed;
* results the original jug 2.x wrote into the same directory or database
  (they do not start with this jug's ``JUGR`` header): ``jug migrate``
  may still import them; ``--remove-jug2-results`` removes them;
* the locks of live workers (and, unless asked, of failed tasks).

What goes: the other results, the temporary files crashed saves left (not
written for a lease), stale locks (their holder is dead: on this host its
process is gone, elsewhere its heartbeat is older than the lease; the same
rule ``jug status`` shows) and failed locks.  The first lines are the
original's: ``Removed N objects``, ``Removed M locks``, ``Removed M failure
locks``.
"""

import dataclasses
import sys

from jug.compiler.freshness import WHOLE_ENVIRONMENT
from jug.errors import JugError

MANIFEST_PREFIX = "manifest-"


@dataclasses.dataclass(frozen=True)
class CleanupRequest:
    """The options of ``jug cleanup``."""

    locks_only: bool = False
    failed_only: bool = False
    keep_locks: bool = False
    dry_run: bool = False
    current_only: bool = False
    remove_jug2: bool = False


@dataclasses.dataclass(frozen=True)
class Kept:
    """Results kept for one reason."""

    count: int
    size: int | None  # measured for --dry-run only (a read per result)
    reason: str


@dataclasses.dataclass
class CleanupPlan:
    """What cleanup removes and keeps."""

    results: list = dataclasses.field(default_factory=list)  # (key, size, ours)
    temp_files: list = dataclasses.field(default_factory=list)  # (name, size)
    locks: list = dataclasses.field(default_factory=list)  # (LockInfo, why)
    live_locks: list = dataclasses.field(default_factory=list)  # LockInfo
    manifests: list = dataclasses.field(default_factory=list)  # blob names to remove
    manifest_blobs: list = dataclasses.field(default_factory=list)  # (name, size) only they use
    kept: list = dataclasses.field(default_factory=list)  # Kept
    measure: bool = False  # size the kept results too (--dry-run)


def size_text(size):
    """``512 B``, ``3.4 kB``, ``1.2 MB``, ``5.0 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _count(number, noun):
    return f"{number} {noun}" + ("" if number == 1 else "s")


def cleanup(options, request, out=None):
    """``jug cleanup``: print what was (or, ``dry_run``, would be) removed
    and what was kept; returns the exit code."""
    from jug.project import open_project_store

    out = out or sys.stdout
    with open_project_store(options) as store:
        plan = CleanupPlan(measure=request.dry_run)
        if not (request.locks_only or request.failed_only):
            plan_results(options, store, request, plan)
        if not request.keep_locks:
            plan_locks(store, request, plan)
        if request.dry_run:
            print_dry_run(plan, request, out)
        else:
            carry_out(store, plan, request, out)
        for kept in plan.kept:
            size = "" if kept.size is None else f" ({size_text(kept.size)})"
            print(f"Kept {_count(kept.count, 'result')}{size} {kept.reason}", file=out)
        if plan.live_locks:
            holders = ", ".join(sorted({f"pid {lock.pid} on {lock.host}"
                                        for lock in plan.live_locks})[:5])
            print(f"Kept {_count(len(plan.live_locks), 'lock')} of live workers ({holders})",
                  file=out)
    return 0


# -- results ---------------------------------------------------------------------------


def plan_results(options, store, request, plan):
    """Fill ``plan`` with the results and temporary files to remove."""
    from jug.compiler.build import load_manifest as read_manifest
    from jug.project import load_manifest

    keys = store.list_keys()
    manifest, trace = load_manifest(options, store, keys)
    if trace is not None:
        keys = store.list_keys()  # the trace may have saved results (CachedFunction)
    referenced = _references(manifest)
    left = keys - referenced
    _keep(plan, store, keys & referenced, f"referenced by the manifest of {options.jugfile}")
    incomplete = [manifest] if not manifest.complete else []
    names = store.list_blobs(MANIFEST_PREFIX)
    if names is None and not request.current_only:
        raise JugError(f"jug cleanup: {store.describe()} cannot list its manifests, so the "
                       "results other argument lists need are not known; run it with "
                       "--current-only to keep only what this manifest refers to")
    others = [name for name in names or () if name != manifest.blob_name]
    if request.current_only:
        plan.manifests = others
        plan.manifest_blobs = _blobs_only_used_by(store, others)
    else:
        for name in others:
            other, unreadable = read_manifest(store, name)
            if other is None:
                if unreadable:
                    print(f"jug: warning: {unreadable}; ignored (delete it, or run `jug compile`"
                          " for its jugfile and arguments)", file=sys.stderr)
                continue
            by_other = left & _references(other)
            left -= by_other
            _keep(plan, store, by_other, f"referenced only by the manifest of "
                                         f"{_describe_manifest(other, manifest)}")
            if not other.complete:
                incomplete.append(other)
    if incomplete and left:
        where = "; ".join(f"{_describe_manifest(m)} stopped at {m.header.stopped_at}"
                          for m in incomplete)
        _keep(plan, store, left, f"no manifest refers to, because {where}: the tasks after it "
                                 "are not known yet and these may be theirs (run `jug "
                                 "cleanup` again once it is passed)")
        left = set()
    sizes = store.result_sizes(left) if left else {}
    foreign = {key for key, (_, ours) in sizes.items() if not ours}
    if foreign and not request.remove_jug2:
        _keep(plan, store, foreign, "written by the original jug 2.x (`jug migrate` imports "
                                    "them; --remove-jug2-results removes them)", sizes)
        left -= foreign
    plan.results = sorted((key, *sizes.get(key, (0, True))) for key in left)
    plan.temp_files = store.stale_temp_files(older_than=store.lease)


def _blobs_only_used_by(store, manifests):
    """``[(name, size)]`` of the payload and chunk blobs that only
    ``manifests`` use (:mod:`jug.compiler.blobs`)."""
    from jug.compiler.blobs import unused_blobs

    if not manifests:
        return []
    names = sorted((unused_blobs(store, manifests) or set()) - set(manifests))
    return [(name, (store.blob_info(name) or (0, 0))[0]) for name in names]


def _references(manifest):
    """The result keys ``manifest`` needs: its tasks', and the tasks outside
    its graph its store questions named (a CompoundTask's outer task)."""
    keys = set(manifest.graph.hashes)
    for question in manifest.header.questions:
        keys.update(question.extra)
    return keys


def _describe_manifest(manifest, current=None):
    """``jugfile.py 5``; for another environment of ``current``'s jugfile
    and arguments, ``jugfile.py in another environment (N='5')``."""
    import shlex

    header = manifest.header
    argv = list(header.argv[1:])
    text = f"{header.jugfile} {shlex.join(argv)}" if argv else header.jugfile
    if current is None or manifest is current or (header.jugfile, tuple(header.argv)) != (
            current.header.jugfile, tuple(current.header.argv)):
        return text
    differing = [f"{v.label()}={v.shown()}" if v.name != WHOLE_ENVIRONMENT else v.label()
                 for v in header.variables if v.difference() is not None]
    return f"{text} in another environment" + (f" ({', '.join(differing[:3])})"
                                               if differing else "")


def _keep(plan, store, keys, reason, sizes=None):
    if not keys:
        return
    if sizes is None and plan.measure:
        sizes = store.result_sizes(keys)
    total = None if sizes is None else sum(sizes[key][0] for key in keys if key in sizes)
    plan.kept.append(Kept(len(keys), total, reason))


# -- locks -------------------------------------------------------------------------------


def plan_locks(store, request, plan):
    """Fill ``plan`` with the locks to remove: failed ones, and (unless
    ``failed_only``) stale ones, judged as ``jug status`` judges them."""
    import time

    from jug.status import stale_reason

    now = time.time()
    for info in store.list_locks().values():
        if info.failed:
            plan.locks.append((info, "failed: " + (info.error or "(no error recorded)")))
        elif request.failed_only:
            continue
        elif info.is_stale(now, store.lease):
            plan.locks.append((info, "stale: " + stale_reason(info, now, store.lease)))
        else:
            plan.live_locks.append(info)


# -- doing it ------------------------------------------------------------------------------


def carry_out(store, plan, request, out):
    if not (request.locks_only or request.failed_only):
        removed = store.remove_many([key for key, _, _ in plan.results]) if plan.results else ()
        print(f"Removed {len(removed)} objects", file=out)
        for name in plan.manifests:  # the manifests first: none is seen without its blobs
            store.remove_blob(name)
        for name, _ in plan.manifest_blobs:
            store.remove_blob(name)
        if plan.manifests:
            blobs = f" and {_blob_summary(plan.manifest_blobs)}" if plan.manifest_blobs else ""
            print(f"Removed {_count(len(plan.manifests), 'other manifest')}{blobs}", file=out)
        for name, _ in plan.temp_files:
            store.remove_temp_file(name)
        if plan.temp_files:
            total = sum(size for _, size in plan.temp_files)
            print(f"Removed {_count(len(plan.temp_files), 'temporary file')} "
                  f"({size_text(total)}) left by crashed saves", file=out)
    if request.keep_locks:
        return
    # judged again as they are now, by the rule plan_locks applied
    removed = store.remove_locks(failed_only=True, stale_only=not request.failed_only)
    print(f"Removed {removed} {'failure locks' if request.failed_only else 'locks'}", file=out)


def _blob_summary(blobs):
    """``5 blobs only they used (3.2 kB)``: the payloads and chunks of the
    manifests removed."""
    total = sum(size for _, size in blobs)
    return f"{_count(len(blobs), 'blob')} only they used ({size_text(total)})"


def print_dry_run(plan, request, out):
    if not (request.locks_only or request.failed_only):
        total = sum(size for _, size, _ in plan.results)
        print(f"Would remove {len(plan.results)} objects ({size_text(total)})"
              + (":" if plan.results else ""), file=out)
        for key, size, ours in plan.results:
            origin = "" if ours else "  (written by jug 2.x)"
            print(f"  {key}  {size_text(size):>9}{origin}", file=out)
        for name in plan.manifests:
            print(f"Would remove the manifest {name}", file=out)
        if plan.manifest_blobs:
            print(f"Would remove {_blob_summary(plan.manifest_blobs)}:", file=out)
            for name, size in plan.manifest_blobs:
                print(f"  {name}  {size_text(size):>9}", file=out)
        if plan.temp_files:
            total = sum(size for _, size in plan.temp_files)
            print(f"Would remove {_count(len(plan.temp_files), 'temporary file')} "
                  f"({size_text(total)}) left by crashed saves:", file=out)
            for name, size in plan.temp_files:
                print(f"  tempfiles/{name}  {size_text(size):>9}", file=out)
    if request.keep_locks:
        return
    kind = "failure locks" if request.failed_only else "locks"
    print(f"Would remove {len(plan.locks)} {kind}" + (":" if plan.locks else ""), file=out)
    for info, why in plan.locks:
        holder = f"pid {info.pid} on {info.host}" if info.host else "an unknown holder"
        print(f"  {info.key}  {holder}, {why}", file=out)
