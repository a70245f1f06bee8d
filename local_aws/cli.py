"""Command line: ``python -m local_aws start|serve|status|stop|reset``.

Every failure a user can cause ends in one sentence on stderr and exit code 1;
``start`` prints only the endpoint URL on stdout, so scripts can capture it.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from . import CONFIG_PATH, DEFAULT_HOST, DEFAULT_PORT, HEALTH_PATH, RESET_PATH, LocalAwsError, __version__
from .home import Home, resolve_home

START_TIMEOUT = 600.0  # seconds: replaying a large journal after a crash takes a while
STOP_TIMEOUT = 30.0  # running Glue jobs get to finish their batch


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_loopback(host: str) -> str:
    """Accept loopback addresses only: the endpoint has no authentication."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise LocalAwsError(f"'{host}' is not an IP address; local_aws listens on loopback (127.0.0.1) only.") from None
    if not address.is_loopback:
        raise LocalAwsError(
            f"Refusing to listen on {host}: local_aws has no authentication and binds to loopback (127.0.0.1) only."
        )
    return host


def check_port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise LocalAwsError(f"Port {port} is not a valid TCP port (0-65535; 0 picks a free one).")
    return port


def port_is_free(host: str, port: int) -> bool:
    if port == 0:
        return True
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def health(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_endpoint(home: Home) -> dict | None:
    """The endpoint serving this home, or None. Cleans up a stale endpoint file."""
    info = home.read_endpoint()
    if not home.is_locked():
        if info is not None:
            home.remove_endpoint()
            say(f"Removed a stale pid file left by pid {info.get('pid', '?')}, which is no longer running.")
        return None
    if info is None or info.get("corrupt"):
        # Locked but not yet (or badly) written: the server is still starting.
        return {"starting": True}
    return info


# --- commands -------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    host = check_loopback(args.host)
    port = check_port(args.port)
    home = Home(resolve_home(args.home))
    home.prepare()

    info = running_endpoint(home)
    if info and not info.get("starting"):
        if health(info["url"]) is None:
            raise LocalAwsError(
                f"local_aws (pid {info['pid']}) holds {home.path} but does not answer at {info['url']}; "
                "run 'python -m local_aws stop' and start again."
            )
        if args.port not in (0, DEFAULT_PORT, info["port"]):
            say(f"local_aws is already running at {info['url']}; --port {args.port} ignored (stop it first to change port).")
        else:
            say(f"local_aws is already running (pid {info['pid']}).")
        print(info["url"], flush=True)
        return 0
    if info and info.get("starting"):
        info = _wait_ready(home, None, time.monotonic() + START_TIMEOUT)
        print(info["url"], flush=True)
        return 0

    if not port_is_free(host, port):
        raise LocalAwsError(f"Port {port} on {host} is already in use by another program; choose another with --port.")

    command = [sys.executable, "-m", "local_aws", "serve", "--host", host, "--port", str(port), "--home", str(home.path)]
    if args.verbose:
        command.append("--verbose")
    child_env = dict(os.environ)
    if args.kinesis_limits is not None:
        child_env["LOCAL_AWS_KINESIS_LIMITS"] = args.kinesis_limits
    if args.no_persist:
        command.append("--no-persist")
    if args.recover:
        command.append("--recover")
    with open(home.log_file, "ab") as log:
        child = subprocess.Popen(
            command,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # survives the shell / notebook kernel that started it
            cwd=str(home.path),
        )
    try:
        info = _wait_ready(home, child, time.monotonic() + START_TIMEOUT)
    except BaseException:
        # Never leave a half-started server behind.
        if child.poll() is None:
            child.kill()
            child.wait()
        home.remove_endpoint()
        raise
    say(f"local_aws {__version__} started (pid {info['pid']}, home {home.path}, log {home.log_file}).")
    print(info["url"], flush=True)
    return 0


def _wait_ready(home: Home, child: subprocess.Popen | None, deadline: float) -> dict:
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            raise LocalAwsError(f"local_aws failed to start: {_last_log_line(home)}")
        info = home.read_endpoint()
        if info and not info.get("corrupt") and (child is None or info.get("pid") == child.pid):
            if health(info["url"], timeout=1.0):
                return info
        time.sleep(0.1)
    raise LocalAwsError(f"local_aws did not become ready within {START_TIMEOUT:.0f} s; see {home.log_file}.")


def _last_log_line(home: Home) -> str:
    try:
        lines = [line for line in home.log_file.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log written"
    return lines[-1] if lines else "no log written"


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve  # heavy import: only here

    host = check_loopback(args.host)
    port = check_port(args.port)
    home = Home(resolve_home(args.home))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    if not port_is_free(host, port):
        raise LocalAwsError(f"Port {port} on {host} is already in use by another program; choose another with --port.")
    if args.kinesis_limits is not None:
        os.environ["LOCAL_AWS_KINESIS_LIMITS"] = args.kinesis_limits
    serve(host, port, home, verbose=args.verbose, on_ready=lambda url: print(url, flush=True),
          persist=not args.no_persist, recover=args.recover)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    home = Home(resolve_home(args.home))
    info = running_endpoint(home)
    if info is None:
        say(f"local_aws is not running (home {home.path}).")
        return 1
    if info.get("starting"):
        say(f"local_aws is starting (home {home.path}).")
        return 1
    live = health(info["url"])
    if live is None:
        say(f"local_aws (pid {info['pid']}) holds {home.path} but does not answer at {info['url']}.")
        return 1
    uptime = int(live["uptime_seconds"])
    print(f"endpoint: {info['url']}")
    print(f"pid:      {info['pid']}")
    print(f"uptime:   {uptime // 3600}h {uptime % 3600 // 60:02d}m {uptime % 60:02d}s")
    print(f"version:  {live.get('version')}")
    print(f"home:     {home.path}")
    persisted = "kept across restarts" if live.get("persist", True) else "in memory only (--no-persist)"
    print(f"state:    {home.state_dir} ({home.state_size():,} bytes on disk; {persisted})")
    print(f"log:      {home.log_file}")
    for name, value in _settings(info["url"]).items():
        print(f"setting:  {name} = {_on_off(value)}")
    return 0


def _on_off(value: object) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def _settings(url: str, changes: dict[str, str] | None = None) -> dict:
    data = json.dumps(changes).encode() if changes else None
    request = urllib.request.Request(url + CONFIG_PATH, data=data, method="POST" if changes else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise LocalAwsError(json.loads(exc.read() or b"{}").get("error", str(exc))) from None
    except OSError as exc:
        raise LocalAwsError(f"local_aws at {url} did not answer: {exc}.") from None


def cmd_config(args: argparse.Namespace) -> int:
    home = Home(resolve_home(args.home))
    info = running_endpoint(home)
    if info is None or info.get("starting"):
        raise LocalAwsError(f"local_aws is not running (home {home.path}); start it first.")
    changes = {}
    for item in args.settings:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise LocalAwsError(f"{item!r} is not NAME=VALUE (e.g. kinesis_limits=off).")
        changes[name.strip()] = value.strip()
    for name, value in _settings(info["url"], changes or None).items():
        print(f"{name} = {_on_off(value)}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    home = Home(resolve_home(args.home))
    info = running_endpoint(home)
    if info is None:
        say(f"local_aws is not running (home {home.path}); nothing to stop.")
        return 1
    pid = info.get("pid")
    if pid is None:  # still starting: wait for it to write its pid
        info = _wait_ready(home, None, time.monotonic() + START_TIMEOUT)
        pid = info["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while home.is_locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    if home.is_locked():
        os.kill(pid, signal.SIGKILL)
        while home.is_locked():
            time.sleep(0.05)
        say(f"local_aws (pid {pid}) did not stop within {STOP_TIMEOUT:.0f} s and was killed.")
    home.remove_endpoint()
    say(f"Stopped local_aws (pid {pid}).")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    home = Home(resolve_home(args.home))
    info = running_endpoint(home)
    if info and not info.get("starting"):
        request = urllib.request.Request(info["url"] + RESET_PATH, data=b"", method="POST")
        try:
            urllib.request.urlopen(request, timeout=30).read()
        except OSError as exc:
            raise LocalAwsError(f"local_aws at {info['url']} did not accept the reset: {exc}.") from None
    home.wipe_state()
    where = f"the running endpoint at {info['url']} and " if info and not info.get("starting") else ""
    say(f"Reset: wiped all state of {where}{home.state_dir}.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m local_aws", description="The kit's local AWS endpoint.")
    top.add_argument("--version", action="version", version=f"local_aws {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str, server: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--home", help="directory for pid file, logs and state (default: .local_aws/ in the repo, or $LOCAL_AWS_HOME)")
        if server:
            p.add_argument("--host", default=DEFAULT_HOST, help="loopback address to bind (default 127.0.0.1)")
            p.add_argument(
                "--port",
                type=int,
                default=int(os.environ.get("LOCAL_AWS_PORT") or DEFAULT_PORT),
                help=f"TCP port (default $LOCAL_AWS_PORT or {DEFAULT_PORT}; 0 picks a free port)",
            )
            p.add_argument("--verbose", action="store_true", help="log every request")
            p.add_argument("--kinesis-limits", choices=["on", "off"], default=None,
                           help="enforce Kinesis per-shard write limits (default on, or $LOCAL_AWS_KINESIS_LIMITS)")
            p.add_argument("--no-persist", action="store_true",
                           help="keep state in memory only (lost at stop); default: state survives restarts and crashes")
            p.add_argument("--recover", action="store_true",
                           help="if the saved state is damaged, start from the last good part of it instead of refusing")
        return p

    add("start", "Start the endpoint in the background and print its URL (no-op if running).", server=True)
    add("serve", "Run the endpoint in the foreground.", server=True)
    add("status", "Show endpoint URL, pid, uptime and where its state lives.")
    add("stop", "Stop the running endpoint.")
    add("reset", "Wipe all state (the endpoint keeps running if it was).")
    config = add("config", "Show or change the running endpoint's settings, e.g. kinesis_limits=off.")
    config.add_argument("settings", nargs="*", metavar="NAME=VALUE")
    return top


COMMANDS = {
    "start": cmd_start,
    "serve": cmd_serve,
    "status": cmd_status,
    "stop": cmd_stop,
    "reset": cmd_reset,
    "config": cmd_config,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except LocalAwsError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
