"""The serving process: moto's WSGI app behind the kit's dispatch layer.

Imported only by ``serve`` (it pulls in moto and Flask); the rest of the CLI
stays light so ``start``/``status``/``stop`` answer quickly.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from typing import Any, Callable

from werkzeug.serving import make_server

from . import CONFIG_PATH, HEALTH_PATH, RESET_PATH, LocalAwsError, __version__, settings
from .dispatch import Dispatcher, KitResponse, Registry
from .home import Home

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

        moto_api_backend.reset()
        engines.reset()
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
    return Dispatcher(moto_app, registry, paths)


def _quiet_handler(verbose: bool):
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        # One line per request drowns the log (a producer makes hundreds a
        # second); keep errors, and everything with --verbose.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if verbose or (str(code).isdigit() and int(code) >= 500):
                super().log_request(code, size)

    return Handler


def serve(host: str, port: int, home: Home, verbose: bool = False, on_ready: Callable[[str], None] | None = None) -> None:
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
        }
        app = build_app(registry, info)
        try:
            server = make_server(host, port, app, threaded=True, request_handler=_quiet_handler(verbose))
        except OSError as exc:
            raise LocalAwsError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        info["port"] = server.server_address[1]
        url_host = f"[{host}]" if ":" in host else host
        info["url"] = f"http://{url_host}:{info['port']}"
        home.write_endpoint(info)

        def shutdown(signum: int, frame: Any) -> None:
            log.info("signal %s: shutting down", signum)
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        log.info("local_aws %s listening on %s (home %s)", __version__, info["url"], home.path)
        if on_ready:
            on_ready(info["url"])
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
            home.remove_endpoint()
            log.info("stopped")
    finally:
        os.close(lock_fd)
