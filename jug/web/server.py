"""Running ``jug webstatus``: open the store, load the status once (so that
a bad jugfile or store fails at once with its message), bind the socket,
print where the page is, and serve it with uvicorn until Ctrl-C."""

import secrets
import socket
import sys

from jug.errors import JugError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def needs_token(host):
    """Anything but the default loopback addresses needs the access token."""
    return host not in LOOPBACK_HOSTS


def bind(host, port):
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise JugError(f"jug webstatus: cannot listen on {host!r} ({error.strerror}); give "
                       "an address of this machine with --host, e.g. 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise JugError(f"jug webstatus: cannot listen on {host}:{port} ({error.strerror}); "
                       "choose another address or port with --host/--port") from None
    sock.listen(128)
    return sock


def page_url(host, port, token):
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = socket.gethostname()
    url = f"http://{shown}:{port}/"
    return url + (f"?token={token}" if token else "")


def uvicorn_server(app, **settings):
    """A ``uvicorn.Server`` for ``app`` (from :func:`jug.web.app.create_app`)
    that ends the event streams before it waits for the open connections to
    close, so that Ctrl-C stops it at once.  ``settings`` go to
    ``uvicorn.Config``, over quiet defaults (no access log: it would show
    tokens)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None):
            await app.hub.close()
            await super().shutdown(sockets=sockets)

    config = dict(log_config=None, log_level="warning", access_log=False, server_header=False,
                  lifespan="on", timeout_graceful_shutdown=5, proxy_headers=False)
    config.update(settings)
    return Server(uvicorn.Config(app, **config))


def serve(options, host, port, interval, out=None):
    """``jug webstatus``: serve the dashboard; returns the exit code."""
    from jug.project import open_project_store
    from jug.web.app import create_app
    from jug.web.live import LiveStatus

    out = out or sys.stdout
    if options.jugdir == "dict_store" or options.jugdir.startswith("dict_store:"):
        raise JugError("jug webstatus: a dict_store lives inside one process (dict_store:FILE "
                       "is read once and written back on exit), so there is no run to watch; "
                       "use a directory or Redis as --jugdir")
    with open_project_store(options) as store:
        live = LiveStatus(options, store, interval=interval)
        first = live.current()
        if first.document is None:
            raise JugError(first.error)
        token = secrets.token_urlsafe(18) if needs_token(host) else None
        # built before the banner says "Ctrl-C stops it": a Ctrl-C while
        # uvicorn and the app were still importing ended in click's "Aborted!"
        server = uvicorn_server(create_app(live, token))
        sock = bind(host, port)
        port = sock.getsockname()[1]
        totals = first.document["totals"]
        print(f"jug webstatus: {options.jugfile} ({totals['tasks']} tasks, store "
              f"{store.describe()}) at {page_url(host, port, token)}", file=out)
        if token:
            print("jug webstatus: the page and its data need this access token (?token=..., or "
                  "the header Authorization: Bearer TOKEN); Ctrl-C stops the server", file=out)
        else:
            print("jug webstatus: listening on the loopback interface only "
                  "(--host 0.0.0.0 to serve other machines, with a token); Ctrl-C stops it",
                  file=out)
        if live.drawing is not None and live.drawing.error:
            print(f"jug webstatus: {live.drawing.error}", file=out)
        out.flush()
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn re-raises Ctrl-C once it has shut down
        finally:
            sock.close()
    print("jug webstatus: stopped", file=out)
    return 0
