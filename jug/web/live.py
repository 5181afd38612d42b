"""The one status a ``jug webstatus`` server shows, shared by every page.

:class:`LiveStatus` refreshes from the manifest and the store (one listing
of results and one of locks, through :func:`jug.project.project_status`) at
most once per interval, and never more often than every four refresh
durations, so that a slow store (100,000 results on NFS) is not listed back
to back.  Every request and event stream reads the same
:class:`Snapshot`, whatever the number of open pages.  A refresh also
records the finished count for the throughput (:class:`Throughput`) and
redraws the grouped task graph when its counts changed
(:class:`GraphDrawing`, at most once per interval, too).

Nothing here imports Starlette or uvicorn.
"""

import bisect
import dataclasses
import json
import math
import os
import sys
import threading
import time

from jug.errors import JugError
from jug.store.base import iso_time

#: the throughput's rate and ETA look at this many seconds of history
RATE_WINDOW = 300.0
#: no rate (nor ETA) before this many seconds of history
MIN_WINDOW = 2.0
#: history older than this is dropped
HISTORY = 6 * 3600.0
#: bars of the throughput chart
BARS = 30

GRAPHVIZ_MISSING = ("The task graph needs Graphviz's `dot` program, which is not on PATH: "
                    "install Graphviz (apt-get install graphviz, brew install graphviz or "
                    "conda install graphviz) and restart jug webstatus. The tables work "
                    "without it.")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What every page sees until the next refresh.

    ``status_json`` is the body of ``/api/status`` (None until a refresh
    succeeded); ``live_json`` the body of ``/api/live`` and of each event;
    ``error`` the message of the last refresh if it failed (the last good
    status is kept)."""

    version: int
    refreshed: float  # epoch seconds
    seconds: float  # what the refresh cost
    document: dict | None
    status_json: bytes | None
    live_json: bytes
    error: str | None


class Throughput:
    """Finished-task counts over time, sampled at each refresh: tasks
    finished per minute and an ETA.  The history starts when the server
    does (and again when the count drops: results were invalidated)."""

    def __init__(self):
        self.times = []
        self.finished = []

    def add(self, when, finished):
        if self.finished and finished < self.finished[-1]:
            self.times, self.finished = [], []
        self.times.append(when)
        self.finished.append(finished)
        if when - self.times[0] > HISTORY:
            cut = bisect.bisect_left(self.times, when - HISTORY)
            del self.times[:cut], self.finished[:cut]

    def value_at(self, when):
        """The finished count at ``when`` (the last sample at or before it)."""
        i = bisect.bisect_right(self.times, when)
        return self.finished[max(i - 1, 0)]

    def summary(self, now, remaining):
        """``{"since", "bars": [{"end_seconds_ago", "seconds", "finished"}],
        "rate_per_minute", "window_seconds", "eta_seconds"}``: the chart's
        bars (oldest first), the rate over the last :data:`RATE_WINDOW`
        seconds and the time ``remaining`` tasks take at that rate (None
        when unknown: too little history or nothing finishing)."""
        if not self.times:
            return {"since": None, "bars": [], "rate_per_minute": None, "window_seconds": 0,
                    "eta_seconds": None}
        span = now - self.times[0]
        width = max(10, math.ceil(span / BARS / 10) * 10)
        bars = []
        for k in range(min(BARS, math.ceil(span / width)) - 1, -1, -1):
            end = now - k * width
            start = max(end - width, self.times[0])
            bars.append({"end_seconds_ago": round(k * width, 1),
                         "seconds": round(end - start, 1),
                         "finished": self.value_at(end) - self.value_at(start)})
        window = min(RATE_WINDOW, span)
        rate = eta = None
        if window >= MIN_WINDOW and len(self.times) >= 2:
            rate = (self.value_at(now) - self.value_at(now - window)) * 60.0 / window
            if rate > 0 and remaining:
                eta = round(remaining / rate * 60.0)
            rate = round(rate, 2)
        return {"since": iso_time(self.times[0]), "bars": bars, "rate_per_minute": rate,
                "window_seconds": round(window), "eta_seconds": eta}


class GraphDrawing:
    """The grouped task graph (what ``jug graph`` draws) as SVG, coloured by
    state, redrawn only when a group's counts changed and at most every
    ``min_gap`` seconds (``dot`` runs in a subprocess)."""

    def __init__(self, name, min_gap):
        import shutil

        self.name = name
        self.min_gap = min_gap
        self.svg = None
        self.version = 0
        self.error = None if shutil.which("dot") else GRAPHVIZ_MISSING
        self._drawn = None
        self._drawn_at = -math.inf
        self._structure = None  # (graph identity, GroupedGraph without counts)
        self.render_seconds = 0.0

    def update(self, graph, report, stopped_at, now):
        """The groups (for the page: which SVG node is which task name),
        redrawing when due."""
        from jug.graph import STATE_NAMES

        grouped = self._grouped(graph, report, stopped_at)
        groups = [{"id": f"n{index}", "name": group.name, "stage": group.stage,
                   "tasks": group.size, "state": STATE_NAMES[group.state].lower()}
                  for index, group in enumerate(grouped.groups)]
        drawn = (stopped_at, grouped.stage_count, grouped.edges,
                 tuple((group.name, group.stage, group.counts) for group in grouped.groups))
        if (self.error != GRAPHVIZ_MISSING and drawn != self._drawn
                and now - self._drawn_at >= max(self.min_gap, 4 * self.render_seconds)):
            self._draw(grouped)
            self._drawn, self._drawn_at = drawn, now
        return groups

    def _grouped(self, graph, report, stopped_at):
        """The :class:`GroupedGraph` with the report's counts.  Without
        barriers a group is a task name, so its counts are the report's and
        only the structure (group order, sizes, edges: one pass over the
        dependencies) is computed, once per graph."""
        import hashlib

        from jug.graph import STATE_NAMES
        from jug.graph.grouping import group_by_name

        if graph.stage_count() > 1:
            from jug.status import task_states

            return group_by_name(graph, task_states(report, graph), None, stopped_at)
        identity = hashlib.sha1()
        for column in (graph.name_ids, graph.dep_indptr, graph.dep_indices):
            identity.update(memoryview(column).cast("B"))
        identity.update("\0".join(graph.names).encode())
        key = (identity.digest(), stopped_at)
        if self._structure is None or self._structure[0] != key:
            self._structure = (key, group_by_name(graph, None, None, stopped_at))
        structure = self._structure[1]
        groups = tuple(dataclasses.replace(group, counts=tuple(
            report.counts[state][group.name] for state in range(len(STATE_NAMES))))
            for group in structure.groups)
        return dataclasses.replace(structure, groups=groups)

    def _draw(self, grouped):
        from jug.graph.dot import GraphvizMissing, grouped_dot, render

        started = time.perf_counter()
        try:
            svg = render(grouped_dot(grouped, None, self.name), "svg")
        except GraphvizMissing:
            self.error = GRAPHVIZ_MISSING
            return
        except JugError as error:
            self.error = str(error)
            return
        finally:
            self.render_seconds = time.perf_counter() - started
        self.svg, self.error = svg, None
        self.version += 1


class LiveStatus:
    """The shared, thread-safe status of one jugfile and store.

    ``options`` are the command's :class:`jug.cli.options.CommonOptions`;
    ``store`` is opened once for the server's life.  :attr:`listings`
    counts the refreshes that listed the store."""

    def __init__(self, options, store, interval=2.0, draw=True):
        self.options = options
        self.store = store
        self.interval = float(interval)
        self.listings = 0
        self.throughput = Throughput()
        name = os.path.splitext(os.path.basename(options.jugfile))[0] or "jug"
        self.drawing = GraphDrawing(name, self.interval) if draw else None
        self._lock = threading.Lock()
        self._snapshot = None
        self._started = -math.inf  # monotonic time the last refresh started
        self._cost = 0.0
        self._version = 0

    @property
    def min_gap(self):
        """Seconds between two refreshes: the interval, or four refresh
        durations when refreshing costs more than a quarter of it."""
        return max(self.interval, 4 * self._cost)

    def current(self, max_age=0.0):
        """The snapshot, refreshed first when it is older than
        :attr:`min_gap` (or ``max_age``, if longer), by one caller while the
        others wait for it."""
        max_age = max(self.min_gap, max_age)
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._started < max_age:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and time.monotonic() - self._started < max_age:
                return snapshot
            self._snapshot = self._refresh()
            return self._snapshot

    def _refresh(self):
        from jug.project import project_status

        self._started = time.monotonic()
        now = time.time()
        previous = self._snapshot
        error = None
        document = previous.document if previous else None
        status_json = previous.status_json if previous else None
        progress = groups = None
        try:
            self.listings += 1
            manifest, report = project_status(self.options, self.store)
            document = report.document(self.options.jugfile)
            status_json = json.dumps(document, separators=(",", ":")).encode()
            totals = document["totals"]
            self.throughput.add(now, totals["finished"])
            remaining = totals["waiting"] + totals["ready"] + totals["running"] + totals["stale"]
            progress = self.throughput.summary(now, remaining)
            if self.drawing is not None:
                groups = self.drawing.update(manifest.graph, report,
                                             manifest.header.stopped_at, now)
        except JugError as failure:
            error = str(failure)
        except Exception as failure:  # keep serving the last status; say what broke
            error = f"the status could not be refreshed ({type(failure).__name__}: {failure})"
            import traceback

            traceback.print_exc(file=sys.stderr)
        if error is not None and previous is not None:  # the first error is the caller's
            print(f"jug webstatus: {error}", file=sys.stderr)
            live = json.loads(previous.live_json)
            progress, groups = live["progress"], live["groups"]
        self._cost = time.monotonic() - self._started
        self._version += 1
        drawing = self.drawing
        live = {
            "version": self._version,
            "status": document,
            "error": error,
            "refreshed_at": iso_time(now),
            "refresh_seconds": round(self._cost, 4),
            "interval_seconds": round(self.min_gap, 3),
            "progress": progress,
            "groups": groups or [],
            "graph": {"version": drawing.version if drawing else 0,
                      "available": bool(drawing and drawing.svg is not None),
                      "error": drawing.error if drawing else "the graph is not drawn"},
        }
        return Snapshot(version=self._version, refreshed=now, seconds=self._cost,
                        document=document, status_json=status_json,
                        live_json=json.dumps(live, separators=(",", ":")).encode(), error=error)

    def graph_svg(self):
        """``(version, SVG bytes or None, error or None)`` of the drawing."""
        drawing = self.drawing
        if drawing is None:
            return 0, None, "the graph is not drawn"
        return drawing.version, drawing.svg, drawing.error
