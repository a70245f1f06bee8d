"""Classifying one S3 object and inferring its schema, as the crawler's built-in classifiers do.

Order (AWS's built-in classifiers, the ones this crawler has):

1. **Parquet** -- the schema is read from the footer at the end of the file:
   two ranged reads, the last 8 bytes (footer length and magic) and then the
   footer itself, never the data pages. ``recordCount`` is exact (the
   footer's row count).
2. **JSON** -- the first megabyte (up to 10 MB while no record has parsed), as
   AWS's knowledge-center article says: JSON lines, concatenated or
   pretty-printed objects, or one array of objects. Lines that do not parse
   after the first good record are counted and skipped, with a warning.
3. **CSV** -- the first 1,000 records or first megabyte. Delimiters tried in
   AWS's order: comma, pipe, tab, semicolon, Ctrl-A; at least two columns and
   two rows. The header heuristics of AWS's documentation: every header cell
   is a string, shorter than 150 characters (the last may be empty), and at
   least one data column is not a string; otherwise the columns are named
   ``col0``, ``col1`` ... Rows with different numbers of fields make the object
   unclassifiable (skipped and logged).

gzip and bzip2 compressed JSON/CSV are read through their first megabyte too.
An object nothing recognises raises ``Unclassifiable`` with the reason, which
the crawl logs before skipping the object -- as AWS does, the crawl goes on.
Counts for JSON and CSV beyond the sample are estimated from the sample's
bytes per record, as AWS's are.
"""

from __future__ import annotations

import bz2
import csv
import io
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from . import hivetypes as ht
from .s3view import ObjectReader

MB = 1024 * 1024
JSON_MAX_BYTES = 10 * MB
CSV_MAX_RECORDS = 1000
CSV_DELIMITERS = (",", "|", "\t", ";", "\x01")
_NAME_OK = re.compile(r"^[\u0020-\ud7ff\ue000-\ufffd\t]+$")


class Unclassifiable(Exception):
    """The object is not data the crawler can classify; the message says why."""


@dataclass(frozen=True)
class FileSchema:
    """What the classifier found in one object."""

    classification: str  # parquet | json | csv
    compression: str  # none | gzip | bzip2 (Parquet's own codecs are inside the file: "none")
    columns: tuple[tuple[str, ht.HiveType], ...]
    records: int  # exact for Parquet, estimated beyond the sample for JSON/CSV
    delimiter: str | None = None  # CSV
    header: bool = False  # CSV
    quoted: bool = False  # CSV
    json_paths: tuple[str, ...] = ()  # JSON: top-level keys as written
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def signature(self) -> tuple:
        """Data compatibility: files of one table share format, compression and CSV dialect."""
        return (self.classification, self.compression, self.delimiter, self.header)

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.columns)


def classify(reader: ObjectReader) -> FileSchema:
    """Classify one object; raise ``Unclassifiable`` with a reason for the crawl's log."""
    obj = reader.obj
    name = obj.key.rsplit("/", 1)[-1].lower()
    if obj.size >= 12:
        tail = reader.tail(8)  # footer length + magic; then the footer alone
        if tail[-4:] == b"PAR1":
            return _parquet(reader, tail)
    if name.endswith(".parquet") or name.endswith(".parq"):
        raise Unclassifiable("not a Parquet file: it does not end with the Parquet magic bytes PAR1 (corrupt or truncated)")
    head, compression, truncated, ratio = _text_sample(reader, MB)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(head) - 4:  # a character cut by the sample's end
            text = head[:exc.start].decode("utf-8")
        else:
            raise Unclassifiable(f"not UTF-8 text and not Parquet (byte {exc.start} is 0x{head[exc.start]:02x})") from None
    text = text.lstrip("\ufeff")
    json_like = name.endswith((".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".json.bz2"))
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        found = _json(reader, text, compression, truncated, reader.obj.size / ratio)
        if found is not None:
            return found
    if json_like:
        raise Unclassifiable(f"JSON that does not parse: {_json_error(text)}")
    return _csv(text, compression, truncated, reader.obj.size / ratio)


# --- Parquet --------------------------------------------------------------------------


def _parquet(reader: ObjectReader, tail: bytes) -> FileSchema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = reader.obj.size
    footer_length = struct.unpack("<I", tail[-8:-4])[0]
    if footer_length + 12 > size:
        raise Unclassifiable(f"corrupt Parquet file: its footer claims {footer_length:,} bytes but the object has {size:,}")
    footer = reader.read_range(size - footer_length - 8, footer_length)
    try:
        metadata = pq.read_metadata(pa.BufferReader(b"PAR1" + footer + struct.pack("<I", footer_length) + b"PAR1"))
        schema = metadata.schema.to_arrow_schema()
    except Exception as exc:  # pyarrow raises OSError/ArrowInvalid for a bad footer
        raise Unclassifiable(f"corrupt Parquet footer ({exc})") from None
    columns = _columns_of(schema)
    if not columns:
        raise Unclassifiable("a Parquet file without columns")
    return FileSchema("parquet", "none", columns, int(metadata.num_rows))


@lru_cache(maxsize=1024)
def _columns_of(schema) -> tuple[tuple[str, ht.HiveType], ...]:
    """Glue columns of an Arrow schema (the files of one table share it: mapped once)."""
    columns, seen = [], set()
    for arrow_field in schema:
        name = arrow_field.name.lower()
        if name not in seen:
            seen.add(name)
            columns.append((name, ht.from_arrow(arrow_field.type)))
    return tuple(columns)


# --- text sampling ------------------------------------------------------------------------


def _text_sample(reader: ObjectReader, limit: int) -> tuple[bytes, str, bool, float]:
    """(decompressed bytes, compression, truncated, object bytes per sample byte) of the object's first ``limit`` bytes."""
    raw = reader.head(limit)
    truncated = reader.obj.size > len(raw)
    if raw[:2] == b"\x1f\x8b":
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        compression = "gzip"
    elif raw[:3] == b"BZh":
        decompressor = bz2.BZ2Decompressor()
        compression = "bzip2"
    else:
        return raw, "none", truncated, 1.0
    try:
        if compression == "gzip":
            data = decompressor.decompress(raw, limit)
            consumed = len(raw) - len(decompressor.unconsumed_tail)
        else:
            data = decompressor.decompress(raw, max_length=limit)
            consumed = len(raw) - (len(decompressor.unused_data) if decompressor.eof else 0)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise Unclassifiable(f"a {compression} object that does not decompress ({exc})") from None
    return data, compression, not decompressor.eof, consumed / max(1, len(data))


# --- JSON ------------------------------------------------------------------------------------


def _json_error(text: str) -> str:
    try:
        json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
    except json.JSONDecodeError as exc:
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return "no JSON object found"


def _json(reader: ObjectReader, text: str, compression: str, truncated: bool, total: float) -> FileSchema | None:
    """JSON documents in the sample, or None if the first one does not parse (then it is not JSON).

    ``total`` is the object's size in sample bytes (its decompressed size, estimated), for the record estimate.
    """
    records, bad, consumed = _json_records(text, truncated)
    limit = MB
    while not records and truncated and compression == "none" and limit < JSON_MAX_BYTES and _cut_short(text):
        limit = min(JSON_MAX_BYTES, limit + MB)  # AWS reads on, 1 MB at a time, up to 10 MB
        head = reader.head(limit)
        truncated = reader.obj.size > len(head)
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        records, bad, consumed = _json_records(text, truncated)
    if not records:
        return None
    document: ht.HiveType = ht.Struct(())
    paths: list[str] = []
    seen: set[str] = set()
    for record in records:
        document = ht.merge(document, ht.from_json_value(record))
        for key in record:
            if key.lower() not in seen:
                seen.add(key.lower())
                paths.append(key)
    assert isinstance(document, ht.Struct)
    if not document.fields:
        raise Unclassifiable("JSON objects without any field")
    estimate = len(records)
    if truncated and consumed:
        estimate = max(len(records), round(len(records) * total / max(1, len(text[:consumed].encode()))))
    warnings = (f"{bad} line(s) that are not JSON were skipped",) if bad else ()
    return FileSchema("json", compression, document.fields, estimate, json_paths=tuple(paths), warnings=warnings)


def _cut_short(text: str) -> bool:
    """Whether the first JSON value fails only because the sample ends inside it (read on, then)."""
    try:
        json.JSONDecoder().raw_decode(text, _skip_ws(text, 0))
    except json.JSONDecodeError as exc:
        return exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated")
    return False


def _json_records(text: str, truncated: bool) -> tuple[list[dict], int, int]:
    """(objects, malformed lines, characters consumed); ``([], 0, 0)`` when the first value is not JSON."""
    decoder = json.JSONDecoder()
    records: list[dict] = []
    bad = 0
    pos = _skip_ws(text, 0)
    in_array = False
    if text[pos:pos + 1] == "[":
        try:
            value = json.loads(text)
            if isinstance(value, list):
                return [v for v in value if isinstance(v, dict)], 0, len(text)
        except json.JSONDecodeError:
            if not truncated:
                return [], 0, 0
        in_array, pos = True, _skip_ws(text, pos + 1)
    consumed = 0
    while pos < len(text):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            if not records and bad == 0:
                return [], 0, 0  # the first value is not JSON: not a JSON file
            if truncated and "\n" not in text[pos:].rstrip("\n"):
                break  # the sample cut the last record
            bad += 1
            newline = text.find("\n", pos)
            if newline < 0:
                break
            pos = _skip_ws(text, newline + 1)
            continue
        if isinstance(value, dict):
            records.append(value)
        consumed = end
        pos = _skip_ws(text, end)
        if in_array:
            if text[pos:pos + 1] == ",":
                pos = _skip_ws(text, pos + 1)
            elif text[pos:pos + 1] == "]":
                break
    return records, bad, consumed


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


# --- CSV -------------------------------------------------------------------------------------


def _csv(text: str, compression: str, truncated: bool, total: float) -> FileSchema:
    if truncated:
        cut = text.rfind("\n")
        text = text[:cut + 1] if cut >= 0 else ""
    lines = text.splitlines(keepends=True)[:CSV_MAX_RECORDS + 1]
    if len(lines) > CSV_MAX_RECORDS:
        truncated = True
    sample = "".join(lines)
    ragged: tuple[str, set[int]] | None = None
    for delimiter in CSV_DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"') if row]
        except csv.Error:
            continue
        if len(rows) < 2 or len(rows[0]) < 2:
            continue
        widths = {len(row) for row in rows}
        if len(widths) > 1:
            ragged = ragged or (delimiter, widths)
            continue
        return _csv_schema(rows, delimiter, sample, compression, truncated, total)
    if ragged:
        delimiter, widths = ragged
        shown = " and ".join(str(w) for w in sorted(widths)[:4])
        raise Unclassifiable(f"CSV rows have different numbers of fields ({shown}, {_delimiter_name(delimiter)}-separated): "
                             "ragged rows, not a table the CSV classifier accepts")
    raise Unclassifiable("not a format the crawler recognises (Parquet, JSON, or CSV with at least two columns and two rows)")


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", "|": "pipe", "\t": "tab", ";": "semicolon", "\x01": "Ctrl-A"}[delimiter]


def _csv_schema(rows: list[list[str]], delimiter: str, sample: str, compression: str, truncated: bool,
                total: float) -> FileSchema:
    width = len(rows[0])
    header_row, data = rows[0], rows[1:]
    data_types = [_column_type(data, i) for i in range(width)]
    has_header = _looks_like_header(header_row, data_types)
    if has_header:
        names = []
        for i, cell in enumerate(header_row):
            name = cell.strip().lower() or f"col{i}"
            names.append(name if name not in names else f"{name}_{i}")
        types = data_types
        records = len(data)
    else:
        names = [f"col{i}" for i in range(width)]
        types = [_column_type(rows, i) for i in range(width)]
        records = len(rows)
    columns = tuple((name, ht.STRING if isinstance(t, ht.Null) else t) for name, t in zip(names, types))
    quoted = bool(re.search(rf'(^|{re.escape(delimiter)})"', sample, re.MULTILINE))
    if truncated and sample:
        records = max(records, round(records * total / len(sample.encode())))
    return FileSchema("csv", compression, columns, records, delimiter=delimiter, header=has_header, quoted=quoted)


def _column_type(rows: list[list[str]], i: int) -> ht.HiveType:
    t: ht.HiveType = ht.NULL
    for row in rows:
        t = ht.merge(t, ht.from_csv_cell(row[i]))
        if t == ht.STRING:
            break
    return t


def _looks_like_header(row: list[str], data_types: list[ht.HiveType]) -> bool:
    """AWS's documented heuristics for a CSV header row."""
    for i, cell in enumerate(row):
        last = i == len(row) - 1
        if last and not cell.strip():
            continue
        if ht.from_csv_cell(cell) != ht.STRING:
            return False
        if not last and len(cell) >= 150:
            return False
        if not _NAME_OK.match(cell):
            return False
    return any(not isinstance(t, ht.Null) and t != ht.STRING for t in data_types)
