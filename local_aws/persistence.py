"""Durable state: what the endpoint acknowledged survives a restart or a crash.

Two files under ``<home>/state/``:

``journal.log``
    Every state-changing request that succeeded, appended and fsync'ed
    *before* its response is sent (write-ahead of the acknowledgement). A
    record is ``magic | header length | body length | CRC32 | header JSON |
    body``. A crash mid-append leaves a torn last record, which was never
    acknowledged and is dropped; a bad record anywhere else is corruption.

``snapshot.pickle``
    The pickled moto backends of every service that was changed (plus the kit
    engines' own state), written atomically at a clean stop and when the
    journal grows large; the journal then starts again. ``snapshot.prev.pickle``
    keeps the one before, as a last good state.

On start: load the snapshot, then replay the journal records after it through
the same WSGI app, each at its recorded time (freezegun) and with moto's
random source seeded as it was, so ids and timestamps come back as the
clients saw them. ``FORMAT.json`` names the format and the versions that
wrote it.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import pickle
import shutil
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from . import LocalAwsError, __version__

log = logging.getLogger("local_aws.persistence")

FORMAT_VERSION = 1
_RECORD = struct.Struct(">2sIII")  # magic, header length, body length, crc32(header + body)
_MAGIC = b"LJ"
SNAPSHOT_EVERY_BYTES = 128 * 1024 * 1024  # journal size that triggers a snapshot (bounds crash replay)
DISK_MARGIN_BYTES = 16 * 1024 * 1024  # refuse changes when less than this would remain free

# Operations that only read; everything else is journaled (unknown ones too).
_READ_PREFIXES = ("Get", "Describe", "List", "Head", "BatchGet", "Search", "Lookup", "Select", "Query", "Scan")


def is_mutating(operation: str | None, method: str) -> bool:
    if operation is None:
        return method not in ("GET", "HEAD", "OPTIONS")
    return not operation.startswith(_READ_PREFIXES)


class StateError(LocalAwsError):
    """The saved state cannot be used as it is."""


def _moto_version() -> str:
    import moto

    return moto.__version__


# --- the journal ------------------------------------------------------------------


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self._file = open(path, "ab", buffering=0)
        self.size = path.stat().st_size

    def append(self, header: dict[str, Any], body: bytes) -> None:
        head = json.dumps(header, separators=(",", ":")).encode()
        crc = zlib.crc32(body, zlib.crc32(head))
        record = _RECORD.pack(_MAGIC, len(head), len(body), crc) + head + body
        self._file.write(record)
        os.fsync(self._file.fileno())
        self.size += len(record)

    def restart(self) -> None:
        """Empty the journal (after a snapshot has made its records redundant)."""
        self._file.close()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(b"")
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self._file = open(self.path, "ab", buffering=0)
        self.size = 0

    def close(self) -> None:
        self._file.close()


def read_journal(path: Path, recover: bool = False) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Records in order, read one at a time. A torn tail is dropped (and cut off
    the file); corruption raises StateError."""
    if not path.exists():
        return
    good = 0
    with open(path, "rb") as f:
        while True:
            head_bytes = f.read(_RECORD.size)
            if len(head_bytes) < _RECORD.size:
                break  # end of file, or a torn header at the tail
            magic, head_len, body_len, crc = _RECORD.unpack(head_bytes)
            if magic != _MAGIC:
                if recover:
                    log.warning("journal %s: bad record at byte %d; keeping the %d bytes before it", path, good, good)
                    break
                raise StateError(f"The journal {path} is corrupt at byte {good} (bad record marker)")
            head = f.read(head_len)
            body = f.read(body_len)
            if len(head) < head_len or len(body) < body_len:
                break  # torn body at the tail: never acknowledged
            if zlib.crc32(body, zlib.crc32(head)) != crc:
                if recover:
                    log.warning("journal %s: checksum mismatch at byte %d; keeping what comes before", path, good)
                    break
                raise StateError(f"The journal {path} is corrupt at byte {good} (checksum mismatch)")
            good = f.tell()
            yield json.loads(head), body
        size = f.seek(0, os.SEEK_END)
    if good < size:
        with open(path, "r+b") as f:  # cut the torn tail so new records follow good ones
            f.truncate(good)
            os.fsync(f.fileno())


# --- snapshots -----------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backend(service: str):
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[arg-type]


@dataclass
class LoadReport:
    snapshot_seq: int = 0
    replayed: int = 0
    replay_failures: int = 0
    seconds: float = 0.0
    source: str = "empty"


class Persistence:
    """The state directory of one endpoint: journal, snapshots and format file."""

    def __init__(self, state_dir: Path):
        self.dir = state_dir
        self.journal_path = state_dir / "journal.log"
        self.snapshot_path = state_dir / "snapshot.pickle"
        self.previous_path = state_dir / "snapshot.prev.pickle"
        self.format_path = state_dir / "FORMAT.json"
        self.seq = 0
        self.services: set[str] = set()
        self.nonce = uuid.uuid4().hex
        self.journal: Journal | None = None
        self._snapshotting = threading.Lock()

    # -- start-up ---------------------------------------------------------------

    def check_format(self) -> None:
        if not self.format_path.exists():
            return
        try:
            meta = json.loads(self.format_path.read_text())
        except (OSError, ValueError) as exc:
            raise StateError(f"{self.format_path} is unreadable ({exc})") from None
        if meta.get("format", 0) > FORMAT_VERSION:
            raise StateError(
                f"The state in {self.dir} was written by a newer local_aws (format {meta.get('format')}, kit "
                f"{meta.get('kit')}); this kit reads format {FORMAT_VERSION}"
            )
        self.nonce = meta.get("nonce", self.nonce)

    def _write_format(self) -> None:
        meta = {"format": FORMAT_VERSION, "kit": __version__, "moto": _moto_version(), "nonce": self.nonce}
        tmp = self.format_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, self.format_path)

    def load(self, replay: Callable[[dict[str, Any], bytes], int], engines: Any, recover: bool = False) -> LoadReport:
        """Restore the snapshot and replay the journal; then open the journal for appends."""
        started = time.monotonic()
        self.check_format()
        report = LoadReport()
        snapshot = self._read_snapshot(recover)
        if snapshot is not None:
            self._restore(snapshot, engines)
            report.snapshot_seq = self.seq
            report.source = "snapshot"
        for stale in self.dir.glob("*.tmp"):  # left by a stop killed mid-snapshot
            stale.unlink()
        todo = (entry for entry in read_journal(self.journal_path, recover) if entry[0]["seq"] > self.seq)
        report.replayed, report.replay_failures = self._replay(todo, replay)
        if report.replayed:
            report.source = "snapshot + journal" if snapshot is not None else "journal"
        self._write_format()
        self.journal = Journal(self.journal_path)
        report.seconds = time.monotonic() - started
        return report

    def _read_snapshot(self, recover: bool) -> dict[str, Any] | None:
        for path in (self.snapshot_path, self.previous_path) if recover else (self.snapshot_path,):
            if not path.exists():
                continue
            try:
                with open(path, "rb") as f:
                    snapshot = pickle.load(f)
                if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT_VERSION:
                    raise ValueError("not a local_aws snapshot of this format")
            except Exception as exc:
                if recover:
                    log.warning("snapshot %s unusable (%s); trying an older state", path, exc)
                    continue
                detail = f"written by moto {self._snapshot_moto_version()}, this kit runs moto {_moto_version()}: "
                raise StateError(f"The snapshot {path} cannot be read ({detail if self._versions_differ() else ''}{exc})") from None
            if path == self.previous_path:
                log.warning("started from the previous snapshot %s: changes after it are lost", path)
            return snapshot
        return None

    def _snapshot_moto_version(self) -> str:
        try:
            return json.loads(self.format_path.read_text()).get("moto", "?")
        except (OSError, ValueError):
            return "?"

    def _versions_differ(self) -> bool:
        return self._snapshot_moto_version() not in ("?", _moto_version())

    def _restore(self, snapshot: dict[str, Any], engines: Any) -> None:
        for service, backends in snapshot["services"].items():
            live = _backend(service)
            live.clear()
            live.update(backends)
        engines.restore_state(snapshot.get("engines", {}))
        self.seq = snapshot["seq"]
        self.services = set(snapshot["services"])

    def _replay(self, entries: Iterator[tuple[dict[str, Any], bytes]], replay: Callable[[dict[str, Any], bytes], int]) -> tuple[int, int]:
        from freezegun import freeze_time

        first = next(entries, None)
        if first is None:
            return 0, 0
        failures = count = 0
        freezer = freeze_time(datetime.fromtimestamp(first[0]["ts"], timezone.utc))
        frozen = freezer.start()
        try:
            for header, body in itertools.chain([first], entries):
                count += 1
                frozen.move_to(datetime.fromtimestamp(header["ts"], timezone.utc))
                self.seed(header["seq"])
                status = replay(header, body)
                if status >= 300:
                    failures += 1
                    log.warning("replaying %s %s gave HTTP %s", header.get("service"), header.get("operation"), status)
                self.seq = header["seq"]
                self.services.add(header.get("service") or "?")
        finally:
            freezer.stop()
        return count, failures

    # -- while serving ---------------------------------------------------------------

    def seed(self, seq: int) -> None:
        """Seed moto's random source per change, so a replay makes the same ids."""
        from moto.moto_api._internal import mock_random

        mock_random.seed(f"{self.nonce}:{seq}")

    def next_seq(self) -> int:
        return self.seq + 1

    def has_room_for(self, size: int) -> bool:
        return shutil.disk_usage(self.dir).free > size + DISK_MARGIN_BYTES

    def record(self, seq: int, ts: float, service: str | None, operation: str | None, environ: dict[str, Any], body: bytes) -> None:
        """Append one applied change (applied at ``ts``); raises OSError if it could not be made durable."""
        header = {
            "seq": seq,
            "ts": ts,
            "service": service,
            "operation": operation,
            "method": environ.get("REQUEST_METHOD", "GET"),
            "path": environ.get("PATH_INFO", "/"),
            "query": environ.get("QUERY_STRING", ""),
            "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"},
        }
        assert self.journal is not None
        self.journal.append(header, body)
        self.seq = seq
        self.services.add(service or "?")  # "?": a change no backend can be named for

    def wants_snapshot(self) -> bool:
        return self.journal is not None and self.journal.size > SNAPSHOT_EVERY_BYTES

    def snapshot(self, engines: Any) -> None:
        """Write a snapshot and restart the journal. Call with writes excluded."""
        with self._snapshotting:
            services = {}
            for service in sorted(self.services):
                try:
                    services[service] = _backend(service)
                except Exception:
                    log.warning("service %s has no moto backend to snapshot; keeping the journal", service)
                    return
            payload = {
                "format": FORMAT_VERSION,
                "kit": __version__,
                "moto": _moto_version(),
                "seq": self.seq,
                "created": time.time(),
                "services": services,
                "engines": engines.snapshot_state(),
            }
            buffer = io.BytesIO()
            pickle.dump(payload, buffer, protocol=pickle.HIGHEST_PROTOCOL)
            tmp = self.snapshot_path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                f.write(buffer.getbuffer())
                f.flush()
                os.fsync(f.fileno())
            if self.snapshot_path.exists():
                os.replace(self.snapshot_path, self.previous_path)
            os.replace(tmp, self.snapshot_path)
            _fsync_dir(self.dir)
            if self.journal is not None:
                self.journal.restart()
            log.info("snapshot at change %d (%d bytes, services: %s)", self.seq, buffer.tell(), ", ".join(services) or "none")

    def wipe(self) -> None:
        """Forget everything (reset): empty journal, no snapshots."""
        for path in (self.snapshot_path, self.previous_path):
            path.unlink(missing_ok=True)
        if self.journal is not None:
            self.journal.restart()
        self.services.clear()

    def close(self, engines: Any) -> None:
        if self.journal is None:
            return
        try:
            self.snapshot(engines)
        finally:
            self.journal.close()
            self.journal = None

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*") if p.is_file())
