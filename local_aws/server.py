"""The serving process: moto's WSGI app behind the kit's dispatch layer.

Imported only by ``serve`` (it pulls in moto and Flask); the rest of the CLI
stays light so ``start``/``status``/``stop`` answer quickly.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable

from werkzeug.serving import make_server

from . import CONFIG_PATH, HEALTH_PATH, RESET_PATH, LocalAwsError, __version__, settings
from .dispatch import Dispatcher, KitResponse, Registry
from .home import Home
from .persistence import Persistence, StateError

log = logging.getLogger("local_aws")


def build_app(registry: Registry, info: dict[str, Any]) -> Dispatcher:
    """The endpoint's WSGI application (also used in-process by tests)."""
    # Imported here: moto is heavy, and only the serving process needs it.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import engines

    moto_app = DomainDispatcherApplication(create_backend_app)
    engines.install(registry)

    def health(environ: dict[str, Any]) -> KitResponse:
        body = dict(info, uptime_seconds=round(time.time() - info["started_at"], 3), engines=registry.routes())
        return KitResponse(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def reset(environ: dict[str, Any]) -> KitResponse:
        if environ.get("REQUEST_METHOD") != "POST":
            return KitResponse(405, b'{"error": "POST to reset"}', {"Content-Type": "application/json"})
        from moto.moto_api._internal.models import moto_api_backend

        with app.lock.write():
            moto_api_backend.reset()
            engines.reset()
            if app.persistence is not None:
                app.persistence.wipe()
        log.info("state reset")
        return KitResponse(200, b'{"status": "reset"}', {"Content-Type": "application/json"})

    def config(environ: dict[str, Any]) -> KitResponse:
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                values = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(values, dict):
                    raise ValueError("expected a JSON object")
                settings.update(values)
            except (ValueError, LocalAwsError) as exc:
                body = json.dumps({"error": str(exc)}).encode()
                return KitResponse(400, body, {"Content-Type": "application/json"})
            log.info("settings changed: %s", values)
        return KitResponse(200, json.dumps(settings.SETTINGS.as_dict()).encode(), {"Content-Type": "application/json"})

    paths: dict[str, Callable[[dict[str, Any]], KitResponse]] = {HEALTH_PATH: health, RESET_PATH: reset, CONFIG_PATH: config}
    app = Dispatcher(moto_app, registry, paths)
    engines.quicksight.mount(app)  # the dashboard viewer's pages, under /_local/quicksight/dashboards
    return app


def replay_request(app: Dispatcher, header: dict[str, Any], body: bytes) -> int:
    """Run one journaled request through the app again; return its HTTP status."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": header["method"],
        "PATH_INFO": header["path"],
        "QUERY_STRING": header["query"],
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    environ.update(header["headers"])
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    status: list[str] = []

    def start_response(line: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(line)
        return lambda data: None

    for _ in app(environ, start_response):
        pass
    return int(status[0].split()[0]) if status else 500


def open_state(app: Dispatcher, home: Home, recover: bool) -> None:
    """Load the saved state into the app (snapshot + journal replay) and keep journaling."""
    from . import engines

    persistence = Persistence(home.state_dir)
    app.persistence = persistence
    app.replaying = True
    limits = settings.SETTINGS.kinesis_limits
    settings.SETTINGS.kinesis_limits = False  # the journal holds only what was accepted
    try:
        engines.configure(state_dir=home.state_dir)
        report = persistence.load(lambda header, body: replay_request(app, header, body), engines, recover=recover)
    except StateError as exc:
        raise StateError(
            f"{exc}. Run 'python -m local_aws reset' to start empty, or start with --recover to start from the "
            "last good state."
        ) from None
    finally:
        app.replaying = False
        settings.SETTINGS.kinesis_limits = limits
    engines.recover()
    log.info(
        "state loaded from %s: %d changes replayed (%d failed) after snapshot %d, in %.2f s",
        report.source, report.replayed, report.replay_failures, report.snapshot_seq, report.seconds,
    )

    def snapshot_if_due() -> None:
        if persistence.wants_snapshot():
            threading.Thread(target=take_snapshot, args=(app,), daemon=True).start()

    app.on_change = snapshot_if_due


def take_snapshot(app: Dispatcher, final: bool = False) -> None:
    """Snapshot with writes excluded; ``final`` also closes the journal (the endpoint is stopping)."""
    from . import engines

    if app.persistence is None:
        return
    with app.lock.write():
        try:
            (app.persistence.close if final else app.persistence.snapshot)(engines)
        except Exception:
            log.exception("snapshot failed; the journal keeps every change")


def _quiet_handler(verbose: bool):
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        # One line per request drowns the log (a producer makes hundreds a
        # second); keep errors, and everything with --verbose.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if verbose or (str(code).isdigit() and int(code) >= 500):
                super().log_request(code, size)

    return Handler


def serve(
    host: str,
    port: int,
    home: Home,
    verbose: bool = False,
    on_ready: Callable[[str], None] | None = None,
    persist: bool = True,
    recover: bool = False,
) -> None:
    """Serve in the foreground until SIGTERM/SIGINT. Raises LocalAwsError on set-up problems."""
    home.prepare()
    settings.load_from_environment()
    lock_fd = home.acquire_lock()
    if lock_fd is None:
        running = home.read_endpoint() or {}
        raise LocalAwsError(
            f"Another local_aws (pid {running.get('pid', '?')}) already serves the home {home.path}; "
            "stop it first or choose another --home."
        )
    try:
        registry = Registry()
        info = {
            "service": "local_aws",
            "version": __version__,
            "pid": os.getpid(),
            "host": host,
            "port": port,
            "url": "",
            "home": str(home.path),
            "started_at": time.time(),
            "persist": persist,
        }
        app = build_app(registry, info)
        if persist:
            open_state(app, home, recover)
        try:
            server = make_server(host, port, app, threaded=True, request_handler=_quiet_handler(verbose))
        except OSError as exc:
            raise LocalAwsError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        info["port"] = server.server_address[1]
        url_host = f"[{host}]" if ":" in host else host
        info["url"] = f"http://{url_host}:{info['port']}"
        from . import engines

        engines.configure(url=info["url"])
        home.write_endpoint(info)

        def shutdown(signum: int, frame: Any) -> None:
            log.info("signal %s: shutting down", signum)

            def stop() -> None:
                engines.shutdown()  # while still serving: running jobs ship their last logs
                server.shutdown()

            threading.Thread(target=stop, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        log.info("local_aws %s listening on %s (home %s)", __version__, info["url"], home.path)
        if on_ready:
            on_ready(info["url"])
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
            engines.shutdown()
            take_snapshot(app, final=True)
            home.remove_endpoint()
            log.info("stopped")
    finally:
        os.close(lock_fd)
