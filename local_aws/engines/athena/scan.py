"""Reading a catalog table's files from local S3 into Arrow, as Athena's Hive connector reads them.

Only the partitions left after pruning are listed, only the columns the query
uses are decoded, and what is read is counted in ``ScanStats``:

* Parquet: the footer plus the column chunks of the projected columns (the
  byte ranges a ranged reader fetches) -- so ``SELECT count(*)`` scans only
  footers and ``SELECT a`` scans less than ``SELECT *``;
* ORC, JSON and delimited text: the whole object (compressed size), as Athena.

SerDes: ``ParquetHiveSerDe``, ``OrcSerde``, the OpenX and Hive JSON SerDes
(``ignore.malformed.json``, ``case.insensitive``, ``mapping.*``),
``LazySimpleSerDe`` (``field.delim``, ``escape.delim``,
``serialization.null.format``, ``skip.header.line.count``) and
``OpenCSVSerde`` (``separatorChar``, ``quoteChar``, ``escapeChar``). Files
ending in ``.gz``/``.bz2`` are decompressed. Names starting with ``_`` or
``.`` are skipped, as Hive does.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from . import storage
from .catalog import HIVE_DEFAULT_PARTITION, Table
from .errors import QueryError

READ_THREADS = max(2, min(8, os.cpu_count() or 2))
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Readers shared by all queries (starting threads per query costs more than reading small files)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="athena-scan")
        return _POOL


@dataclass
class FileTask:
    obj: storage.S3Object
    partition: dict[str, str]  # partition key -> value


@dataclass
class Scanned:
    table: pa.Table
    kinds: dict[str, str]  # column -> "native" | "text" | "json" (nested JSON text) | "partition"


def scan(account: str, region: str, table: Table, tasks: list[FileTask], columns: list[str],
         stats: storage.ScanStats, cancelled: Any = None) -> Scanned:
    """The files of ``tasks`` as one Arrow table holding ``columns`` (data columns) and the partition keys."""
    fmt = table.storage_format()
    readers = {"parquet": _parquet, "orc": _orc, "json": _json, "text": _text, "opencsv": _opencsv}
    if fmt not in readers:
        serde = table.serde or table.input_format or "none"
        raise QueryError("NOT_SUPPORTED", f"The local Athena cannot read tables stored with SerDe {serde} "
                                          f"(format {fmt}); it reads Parquet, ORC, JSON and delimited text.")
    reader = readers[fmt]
    col_types = dict(table.columns)

    def one(task: FileTask) -> pa.Table | None:
        if cancelled is not None and cancelled():
            raise QueryError("GENERIC_USER_ERROR", "Query was cancelled")
        try:
            return reader(account, region, task.obj, table, columns, col_types, stats)
        except storage.ObjectGone:
            return None  # deleted while the query ran: as if it was never listed
        except QueryError:
            raise
        except Exception as exc:
            raise QueryError("HIVE_BAD_DATA", f"Error reading file {task.obj.uri}: {type(exc).__name__}: {exc}") from None

    if len(tasks) > 8 and READ_THREADS > 1:
        # Batches of files per worker: per-file work is small (a footer, a few column chunks).
        size = -(-len(tasks) // READ_THREADS)
        batches = [tasks[i:i + size] for i in range(0, len(tasks), size)]
        parts = [part for batch in _pool().map(lambda b: [one(t) for t in b], batches) for part in batch]
    else:
        parts = [one(t) for t in tasks]
    kept = [(task, part) for task, part in zip(tasks, parts) if part is not None]
    kinds = {c: ("native" if fmt in ("parquet", "orc") else "json" if fmt == "json" and _nested(col_types[c]) else "text")
             for c in columns}
    kinds.update({k: "partition" for k, _ in table.partition_keys})
    names = columns + [k for k, _ in table.partition_keys]
    if not kept:
        empty = pa.table({n: pa.array([], pa.null()) for n in names} or {"__rows": pa.array([], pa.null())})
        return Scanned(empty, kinds)
    try:
        combined = pa.concat_tables([part for _, part in kept], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise QueryError("HIVE_BAD_DATA", f"The files of table {table.fqn} disagree on a column's type: {exc}") from None
    if fmt in ("parquet", "orc"):
        combined = _millisecond_timestamps(combined, [c for c in columns if col_types.get(c) == "timestamp"])
    return Scanned(_with_partition_columns(combined, table, kept), kinds)


def _millisecond_timestamps(combined: pa.Table, names: list[str]) -> pa.Table:
    """Athena's timestamps are milliseconds of UTC wall time: truncate and drop the zone in Arrow (cheap),
    so that DuckDB needs no time-zone conversion per value."""
    for name in names:
        column = combined.column(name)
        if pa.types.is_timestamp(column.type):
            combined = combined.set_column(combined.column_names.index(name), name,
                                           column.cast(pa.timestamp("ms"), safe=False))
    return combined


def _with_partition_columns(combined: pa.Table, table: Table, kept: list[tuple[FileTask, pa.Table]]) -> pa.Table:
    """Each partition key as one dictionary column: built once for all files, not once per file."""
    counts = np.array([part.num_rows for _, part in kept], dtype=np.int64)
    for key, _ in table.partition_keys:
        values = [task.partition.get(key) for task, _ in kept]
        values = [None if v == HIVE_DEFAULT_PARTITION else v for v in values]
        distinct = sorted({v for v in values if v is not None})
        position = {v: i for i, v in enumerate(distinct)}
        codes = np.array([position.get(v, -1) for v in values], dtype=np.int32).repeat(counts)
        mask = codes < 0
        indices = pa.array(np.where(mask, 0, codes), mask=mask if mask.any() else None)
        column = pa.DictionaryArray.from_arrays(indices, pa.array(distinct or [""], pa.string()))
        combined = combined.append_column(key, column)
    if combined.num_columns > 1 and "__rows" in combined.column_names:
        combined = combined.drop_columns(["__rows"])
    return combined


def _nested(hive_type: str) -> bool:
    return hive_type.startswith(("array", "map", "struct"))


def _empty_with_rows(rows: int) -> pa.Table:
    """No column is needed (``count(*)``), but the rows still count."""
    return pa.table({"__rows": pa.nulls(rows, pa.int8())})


def _decompressed(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith((".zst", ".zstd", ".snappy", ".lz4", ".lzo")) and not name.endswith(".parquet"):
        raise QueryError("NOT_SUPPORTED", f"The local Athena cannot decompress {name} (gzip and bzip2 only).")
    return data


# --- Parquet and ORC ------------------------------------------------------------------------------


# Parsed Parquet footers (and what is derived from them), by object identity: bucket, key, ETag, size.
_FOOTERS: "OrderedDict[tuple, Any]" = OrderedDict()
_FOOTERS_MAX = 4096
READ_DICTIONARY = True  # strings as Arrow dictionaries, as Parquet usually stores them
_FOOTERS_LOCK = threading.Lock()


def _parquet(account, region, obj, table, columns, col_types, stats) -> pa.Table:
    from pyarrow._parquet import ParquetReader

    handle = storage.ObjectFile(account, region, obj, None)
    data = handle.read()  # one copy out of moto; what is *scanned* is counted below
    identity = (account, obj.bucket, obj.key, handle.etag, len(data))
    with _FOOTERS_LOCK:
        cached = _FOOTERS.get(identity)
    if cached is None:
        probe = ParquetReader()
        probe.open(pa.BufferReader(data))
        meta = probe.metadata
        schema = meta.schema
        # Strings stay dictionary-encoded as Parquet stores them (cheaper to decode, group and compare).
        strings = [i for i in range(len(schema)) if schema.column(i).physical_type == "BYTE_ARRAY"
                   and schema.column(i).logical_type.type in ("STRING", "NONE") and "." not in schema.column(i).path]
        top = [schema.column(i).path.split(".")[0] for i in range(len(schema))]
        by_lower: dict[str, list[int]] = {}
        for leaf, name in enumerate(top):
            by_lower.setdefault(name.lower(), []).append(leaf)
        sizes = [0] * len(schema)  # compressed bytes of each leaf column over all row groups
        for rg in range(meta.num_row_groups):
            group = meta.row_group(rg)
            for i in range(group.num_columns):
                sizes[i] += group.column(i).total_compressed_size
        footer = int.from_bytes(data[-8:-4], "little") + 8 if len(data) >= 8 else len(data)
        cached = (meta, strings, top, by_lower, sizes, footer)
        with _FOOTERS_LOCK:
            _FOOTERS[identity] = cached
            while len(_FOOTERS) > _FOOTERS_MAX:
                _FOOTERS.popitem(last=False)
    meta, strings, top, by_lower, sizes, footer = cached
    reader = ParquetReader()
    reader.open(pa.BufferReader(data), metadata=meta, read_dictionary=strings if READ_DICTIONARY else None,
                coerce_int96_timestamp_unit="us")
    leaves = sorted(leaf for c in columns for leaf in by_lower.get(c, []))
    scanned = footer + sum(sizes[i] for i in leaves)  # the footer and the projected column chunks
    stats.add(min(scanned, len(data)), 1)
    if not leaves:
        return _empty_with_rows(meta.num_rows)
    flat = len(top) == len(set(top))
    if flat:
        read = reader.read_all(column_indices=leaves, use_threads=False)
    else:  # nested columns: let ParquetFile map names to leaves
        import pyarrow.parquet as pq

        names = {c: n for n in set(top) for c in [n.lower()]}
        read = pq.ParquetFile(pa.BufferReader(data)).read(columns=[names[c] for c in columns if c in names],
                                                          use_threads=False)
    read = read.rename_columns([n.lower() for n in read.column_names])
    for c in columns:
        if c not in read.column_names:  # a column this file does not have: NULL, as Athena reads it
            read = read.append_column(c, pa.nulls(read.num_rows))
    return read.select(columns)


def _orc(account, region, obj, table, columns, col_types, stats) -> pa.Table:
    import pyarrow.orc as orc

    data = storage.read_object(account, region, obj, stats)
    stats.add(0, 1)
    f = orc.ORCFile(pa.BufferReader(data))
    by_lower = {name.lower(): name for name in f.schema.names}
    wanted = [by_lower[c] for c in columns if c in by_lower]
    if not wanted:
        return _empty_with_rows(f.nrows)
    read = f.read(columns=wanted)
    read = read.rename_columns([n.lower() for n in read.column_names])
    for c in columns:
        if c not in read.column_names:
            read = read.append_column(c, pa.nulls(read.num_rows))
    return read.select(columns)


# --- JSON -------------------------------------------------------------------------------------------


def _json_text(value: Any, nested: bool) -> str | None:
    if value is None:
        return None
    if nested:
        return json.dumps(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return json.dumps(value)


def _json(account, region, obj, table, columns, col_types, stats) -> pa.Table:
    raw = storage.read_object(account, region, obj, stats)
    stats.add(0, 1)
    text = _decompressed(obj.key, raw).decode("utf-8", "replace")
    props = {k.lower(): v for k, v in table.serde_params.items()}
    ignore_malformed = props.get("ignore.malformed.json", "false").lower() == "true"
    mapping = {k[len("mapping."):].lower(): v.lower() for k, v in props.items() if k.startswith("mapping.")}
    out: dict[str, list] = {c: [] for c in columns}
    rows = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if ignore_malformed:
                record = {}
            else:
                raise QueryError("HIVE_CURSOR_ERROR", f"Row is not a valid JSON Object - JSONException: {exc} "
                                                      f"(file {obj.uri}, line {number})") from None
        lowered = {str(k).lower(): v for k, v in record.items()}
        rows += 1
        for c in columns:
            out[c].append(_json_text(lowered.get(mapping.get(c, c)), _nested(col_types.get(c, "string"))))
    if not columns:
        return _empty_with_rows(rows)
    return pa.table({c: pa.array(out[c], pa.string()) for c in columns})


# --- delimited text ------------------------------------------------------------------------------------


def _unescape_delim(value: str | None, default: str) -> str:
    if value is None or value == "":
        return default
    if value.isdigit() and len(value) <= 3 and len(value) > 0 and not value.startswith("0") and int(value) < 32:
        return chr(int(value))  # Hive accepts a character code: '1' -> \x01
    return value.encode().decode("unicode_escape") if "\\" in value else value


def _skip_header(table: Table) -> int:
    try:
        return int(table.parameters.get("skip.header.line.count", "0") or 0)
    except ValueError:
        return 0


def _text(account, region, obj, table, columns, col_types, stats) -> pa.Table:
    raw = storage.read_object(account, region, obj, stats)
    stats.add(0, 1)
    text = _decompressed(obj.key, raw).decode("utf-8", "replace")
    props = table.serde_params
    delimiter = _unescape_delim(props.get("field.delim") or props.get("serialization.format"), "\x01")
    if delimiter.isdigit():
        delimiter = "\x01" if delimiter == "1" else delimiter
    escape = props.get("escape.delim")
    null_format = props.get("serialization.null.format", "\\N")
    positions = {name: i for i, (name, _) in enumerate(table.columns)}
    lines = text.splitlines()[_skip_header(table):]
    out: dict[str, list] = {c: [] for c in columns}
    rows = 0
    for line in lines:
        if line == "":
            continue
        rows += 1
        fields = _split_escaped(line, delimiter, escape) if escape else line.split(delimiter)
        for c in columns:
            i = positions.get(c, 10 ** 9)
            value = fields[i] if i < len(fields) else None
            out[c].append(None if value is None or value == null_format else value)
    if not columns:
        return _empty_with_rows(rows)
    return pa.table({c: pa.array(out[c], pa.string()) for c in columns})


def _split_escaped(line: str, delimiter: str, escape: str) -> list[str]:
    fields, current, i = [], [], 0
    while i < len(line):
        ch = line[i]
        if ch == escape and i + 1 < len(line):
            current.append(line[i + 1])
            i += 2
            continue
        if line.startswith(delimiter, i):
            fields.append("".join(current))
            current = []
            i += len(delimiter)
            continue
        current.append(ch)
        i += 1
    fields.append("".join(current))
    return fields


def _opencsv(account, region, obj, table, columns, col_types, stats) -> pa.Table:
    raw = storage.read_object(account, region, obj, stats)
    stats.add(0, 1)
    text = _decompressed(obj.key, raw).decode("utf-8", "replace")
    props = table.serde_params
    reader = csv.reader(io.StringIO(text), delimiter=props.get("separatorChar", ",") or ",",
                        quotechar=props.get("quoteChar", '"') or '"', escapechar=props.get("escapeChar", "\\") or None)
    positions = {name: i for i, (name, _) in enumerate(table.columns)}
    out: dict[str, list] = {c: [] for c in columns}
    rows = 0
    for n, fields in enumerate(reader):
        if n < _skip_header(table) or not fields:
            continue
        rows += 1
        for c in columns:
            i = positions.get(c, 10 ** 9)
            out[c].append(fields[i] if i < len(fields) else None)
    if not columns:
        return _empty_with_rows(rows)
    return pa.table({c: pa.array(out[c], pa.string()) for c in columns})
