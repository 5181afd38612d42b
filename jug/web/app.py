"""The read-only ASGI application of ``jug webstatus`` (Starlette).

=====================  ======================================================
``GET /``              the page (static HTML; its script fills it in)
``GET /static/NAME``   the page's script and style sheet
``GET /api/status``    the document of ``jug status --json`` (docs/status.md)
``GET /api/live``      that document with the throughput, the graph's groups
                       and the refresh state (what the page shows)
``GET /api/events``    server-sent events: ``/api/live`` each time it changes
``GET /api/graph.svg`` the grouped task graph, coloured by state
=====================  ======================================================

Every response comes from the one :class:`jug.web.live.LiveStatus`: opening
more pages does not cost the store more listings.  Only GET and HEAD are
served.  :class:`Guard` asks for the access token (``?token=``, or the
header ``Authorization: Bearer TOKEN`` or ``X-Jug-Token``) when the server
listens beyond the loopback interface; without a token it accepts only the
loopback host names in the ``Host`` header, so that another web site cannot
read the page through DNS rebinding.
"""

import asyncio
import hmac
import importlib.resources
import time
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

#: seconds between keep-alive comments on an idle event stream
KEEPALIVE = 15.0
#: the event stream and /api/live keep the store listed while a page asked
#: within this many intervals
IDLE_INTERVALS = 3
#: with no page open, the store is still listed this often, so that the
#: throughput has a history when a page opens
IDLE_REFRESH = 30.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
]
_STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8",
           "index.html": "text/html; charset=utf-8"}


def static_file(name):
    return importlib.resources.files("jug.web").joinpath("static", name).read_bytes()


class Guard:
    """ASGI middleware: GET/HEAD only, the token or a loopback Host, and
    the security headers on every response."""

    def __init__(self, app, token=None):
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        refusal = self.refusal(scope)
        if refusal is not None:
            return await refusal(scope, receive, send_with_headers)
        return await self.app(scope, receive, send_with_headers)

    def refusal(self, scope):
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("jug webstatus is read-only: only GET is served.\n",
                                     status_code=405, headers={"Allow": "GET, HEAD"})
        headers = dict(scope.get("headers") or [])
        if self.token is None:
            host = headers.get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in LOOPBACK_NAMES:
                return PlainTextResponse(
                    "jug webstatus listens on the loopback interface only: open it as "
                    "http://127.0.0.1:PORT/ (or start it with --host and use its token).\n",
                    status_code=421)
            return None
        if scope["path"].startswith("/static/"):
            return None  # the same script and style for everyone: nothing to protect
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[-1]
        candidates = [given.encode(), headers.get(b"x-jug-token", b"")]
        authorization = headers.get(b"authorization", b"")
        if authorization[:7].lower() == b"bearer ":
            candidates.append(authorization[7:].strip())
        if any(hmac.compare_digest(candidate, self.token) for candidate in candidates):
            return None
        return PlainTextResponse(
            "jug webstatus needs its access token: add ?token=... to the address "
            "(the token is printed when the server starts), or send the header "
            "Authorization: Bearer TOKEN.\n", status_code=401,
            headers={"WWW-Authenticate": "Bearer"})


class Hub:
    """Keeps :class:`LiveStatus` refreshed while someone looks, and wakes
    the event streams when a new snapshot exists."""

    def __init__(self, live):
        self.live = live
        self.streams = 0
        self.last_request = -float("inf")
        self.snapshot = None
        self.closing = False
        self._changed = asyncio.Condition()

    async def close(self):
        """Make every event stream end (the server is shutting down)."""
        async with self._changed:
            self.closing = True
            self._changed.notify_all()

    async def current(self):
        """The shared snapshot (refreshed in a thread when it is due)."""
        self.last_request = time.monotonic()
        snapshot = await asyncio.to_thread(self.live.current)
        await self._publish(snapshot)
        return snapshot

    async def _publish(self, snapshot):
        if self.snapshot is None or snapshot.version > self.snapshot.version:
            async with self._changed:
                self.snapshot = snapshot
                self._changed.notify_all()

    async def next_after(self, version, timeout):
        """The first snapshot newer than ``version``, or None after
        ``timeout`` or once closing."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: self.closing or self.snapshot.version > version), timeout)
            except asyncio.TimeoutError:
                return None
            return None if self.closing else self.snapshot

    def watched(self):
        idle = time.monotonic() - self.last_request
        return self.streams > 0 or idle < IDLE_INTERVALS * self.live.min_gap

    async def run(self):
        """Refresh every interval while a page is open, and every
        :data:`IDLE_REFRESH` seconds otherwise (the throughput's history)."""
        while True:
            max_age = 0.0 if self.watched() else IDLE_REFRESH
            snapshot = await asyncio.to_thread(self.live.current, max_age)
            await self._publish(snapshot)
            await asyncio.sleep(min(self.live.min_gap, 1.0) / 2)


def create_app(live, token=None):
    """The ASGI application serving ``live`` (a :class:`LiveStatus`);
    ``token``: the access token to require, or None (loopback only)."""
    hub = Hub(live)

    async def page(request):
        return Response(static_file("index.html"), media_type=_STATIC["index.html"])

    async def static(request):
        name = request.path_params["name"]
        if name not in _STATIC or name == "index.html":
            return PlainTextResponse("not found\n", status_code=404)
        return Response(static_file(name), media_type=_STATIC[name])

    async def status(request):
        snapshot = await hub.current()
        if snapshot.status_json is None:
            return PlainTextResponse(f"jug webstatus: {snapshot.error}\n", status_code=503)
        return Response(snapshot.status_json, media_type="application/json")

    async def live_status(request):
        snapshot = await hub.current()
        return Response(snapshot.live_json, media_type="application/json")

    async def graph(request):
        await hub.current()
        _, svg, error = live.graph_svg()
        if svg is None:
            return PlainTextResponse(error or "the graph is not drawn yet", status_code=503)
        return Response(svg, media_type="image/svg+xml")

    async def events(request):
        first = await hub.current()

        async def stream():
            hub.streams += 1
            try:
                yield b"retry: 2000\n\n"
                snapshot = first
                while True:
                    yield b"event: live\nid: %d\ndata: %s\n\n" % (snapshot.version,
                                                                   snapshot.live_json)
                    newer = None
                    while newer is None:
                        newer = await hub.next_after(snapshot.version, KEEPALIVE)
                        if hub.closing:
                            return  # the server stops: end the response cleanly
                        if newer is None:
                            yield b": keep-alive\n\n"
                    snapshot = newer
            finally:
                hub.streams -= 1

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def no_icon(request):
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(app):
        refresher = asyncio.create_task(hub.run())
        try:
            yield
        finally:
            refresher.cancel()

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/status", status),
        Route("/api/live", live_status),
        Route("/api/events", events),
        Route("/api/graph.svg", graph),
        Route("/favicon.ico", no_icon),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    guarded = Guard(app, token)
    guarded.hub = hub  # the server closes it first when it stops
    return guarded
