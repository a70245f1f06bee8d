"""From objects under an include path to tables and partitions, as the crawler groups them.

What AWS documents (crawler-s3-folder-table-partition, crawler-grouping-policy,
crawler-table-level, knowledge-center glue-crawler-detect-schema), and how this
module reads it:

* **Table root.** The crawler starts at the include path. A folder whose data
  (everything below it) is *compatible* -- same format, compression and CSV
  dialect -- and whose parts have *similar* schemas becomes one table; its
  sub-folders become partitions. Otherwise ("Found schemas don't match at
  level N") each sub-folder is looked at in turn, and files lying directly in
  such a folder each become a table of their own. So the include path itself
  is the table when its data agrees: ``s3://b/sales/`` with
  ``year=2019/month=Jan/day=1/...`` gives table ``sales``; ``s3://b/folder1/``
  holding ``table1/`` and ``table2/`` of similar schemas gives *one* table
  ``folder1`` with two partition keys (AWS's own examples).
* **Similar** (AWS: "partition threshold higher than 0.7", at most 5 schema
  clusters): here, every part (file or sub-folder) holds more than 70 % of the
  union of the columns found at that level, and the files below show at most
  5 distinct column sets. ``{A,B}`` and ``{C,D}`` are not similar (AWS's
  example gives tables ``year_2017`` and ``year_2018``); a new column added to
  later files of ``{a,b,c}`` is. ``Grouping.TableGroupingPolicy =
  CombineCompatibleSchemas`` skips the similarity test (compatibility still
  counts).
* **Table level** (``Grouping.TableLevelConfiguration``, the bucket is level 1):
  tables are made at exactly that folder depth, whatever their schemas.
* **Partitions**: the folders between a table root and its files. A level
  whose folders are all ``key=value`` with one key is a partition key named
  after it; any other level is ``partition_<i>`` (``i`` counted from 0 over the
  table's levels). Partition keys are ``string``. Files at another depth than
  most of the table's are skipped and logged.
* **Names**: the root folder's name (the bucket's for the bucket root; the
  file's for a one-file table), lowercased, other characters than letters,
  digits and ``_`` turned into ``_`` (``year=2017`` -> ``year_2017``,
  ``g-drive`` -> ``g_drive``).

Objects that are not data are skipped before any of this: folder markers,
zero-byte objects, names or folders starting with ``_`` or ``.`` (``_SUCCESS``,
``_metadata``, ``.crc`` files, ``_temporary/``, ``_spark_metadata/``), ``*.crc``,
``*_$folder$``, and Spark streaming checkpoints (a folder with ``offsets/``,
``commits/`` and ``metadata``). ``Exclusions`` are glob patterns relative to the
include path: ``*`` within one folder level, ``**`` across levels, ``?``,
``[abc]``, ``{a,b}``; a pattern that matches a folder excludes all below it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from . import hivetypes as ht
from .classify import FileSchema
from .s3view import S3Object

SIMILARITY = 0.7
MAX_CLUSTERS = 5


# --- include paths and exclusions --------------------------------------------------------


def split_path(path: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b/``): the include path as a folder prefix."""
    text = (path or "").strip()
    if not text.lower().startswith("s3://"):
        raise ValueError(f"{path!r} is not an s3:// path")
    bucket, _, prefix = text[5:].partition("/")
    if not bucket:
        raise ValueError(f"{path!r} names no bucket")
    prefix = prefix.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A crawler exclude pattern as a regular expression over a path relative to the include path."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # "**/x" also matches "x" at the top
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                out.append("(?:" + "|".join(re.escape(alt) for alt in pattern[i + 1:end].split(",")) + ")")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def excluded(relative_key: str, patterns: list[str]) -> str | None:
    """The first exclude pattern matching the key or one of its folders, else None."""
    if not patterns:
        return None
    parts = relative_key.split("/")
    candidates = [relative_key] + ["/".join(parts[:n]) for n in range(1, len(parts))]
    candidates += [c + "/" for c in candidates[1:]]
    for pattern in patterns:
        regex = glob_regex(pattern.strip().lstrip("/"))
        if any(regex.match(c) for c in candidates):
            return pattern
    return None


def not_data(relative_key: str, size: int) -> str | None:
    """Why an object is not data (None if it may be): the crawl skips it."""
    if relative_key.endswith("/") or relative_key.endswith("_$folder$"):
        return "a folder marker"
    segments = relative_key.split("/")
    for segment in segments[:-1]:
        if segment.startswith(("_", ".")):
            return f"inside the folder {segment}/ (hidden or job metadata)"
    name = segments[-1]
    if name.startswith(("_", ".")):
        return "a hidden or metadata file (name starts with _ or .)"
    if name.endswith(".crc"):
        return "a checksum file"
    if size == 0:
        return "an empty object"
    return None


def checkpoint_roots(relative_keys: list[str]) -> set[str]:
    """Folders that are Spark streaming checkpoints (``offsets/``, ``commits/`` and ``metadata`` in one folder)."""
    children: dict[str, set[str]] = {}
    for key in relative_keys:
        parts = key.split("/")
        for n in range(len(parts)):
            parent = "/".join(parts[:n])
            children.setdefault(parent, set()).add(parts[n] + ("/" if n < len(parts) - 1 else ""))
    return {folder for folder, names in children.items() if {"offsets/", "commits/", "metadata"} <= names}


# --- the plan ------------------------------------------------------------------------------


@dataclass
class DataFile:
    obj: S3Object
    folders: tuple[str, ...]  # folder names between the include path and the object
    schema: FileSchema


@dataclass
class PartitionPlan:
    values: tuple[str, ...]
    location: str
    files: list[DataFile]
    columns: tuple[tuple[str, ht.HiveType], ...] = ()


@dataclass
class TablePlan:
    base_name: str  # before the crawler's TablePrefix and any clash suffix
    location: str
    files: list[DataFile]
    signature: tuple
    columns: tuple[tuple[str, ht.HiveType], ...]
    partition_keys: list[str]
    partitions: list[PartitionPlan]
    warnings: list[str] = field(default_factory=list)

    @property
    def classification(self) -> str:
        return self.signature[0]

    @property
    def schema(self) -> FileSchema:
        """A representative file schema (dialect, JSON paths) of the table."""
        return self.files[0].schema


@dataclass
class _Summary:
    signature: tuple
    names: frozenset[str]
    colsets: frozenset[frozenset[str]]


class _Node:
    __slots__ = ("name", "children", "files", "summary", "done")

    def __init__(self, name: str):
        self.name = name
        self.children: dict[str, _Node] = {}
        self.files: list[DataFile] = []
        self.summary: _Summary | None = None
        self.done = False


def table_name(raw: str) -> str:
    """A Data Catalog table name made from a folder, bucket or file name."""
    name = re.sub(r"[^a-z0-9_]", "_", raw.lower())
    return name[:255] or "table"


def plan_tables(bucket: str, prefix: str, files: list[DataFile], combine: bool = False,
                table_level: int | None = None) -> tuple[list[TablePlan], list[str]]:
    """Tables (with partitions) for the data files of one include path, and log lines about the grouping."""
    notes: list[str] = []
    if not files:
        return [], notes
    root = _Node(prefix.rstrip("/").rsplit("/", 1)[-1] if prefix else bucket)
    for f in files:
        node = root
        for folder in f.folders:
            node = node.children.setdefault(folder, _Node(folder))
        node.files.append(f)
    base = f"s3://{bucket}/{prefix}"
    tables: list[TablePlan] = []
    if table_level is not None:
        include_level = 1 + len([p for p in prefix.split("/") if p])
        _forced_roots(root, base, (), max(0, table_level - include_level), combine, tables, notes)
    else:
        _find_roots(root, base, (), 1 + len([p for p in prefix.split("/") if p]), combine, tables, notes)
    return tables, notes


def _summary(node: _Node, combine: bool) -> _Summary | None:
    """The node's data as one compatible, similar group, or None (mixed)."""
    if node.done:
        return node.summary
    parts: list[_Summary] = []
    for f in node.files:
        names = f.schema.column_names
        parts.append(_Summary(f.schema.signature, names, frozenset([names])))
    for child in node.children.values():
        s = _summary(child, combine)
        if s is None:
            node.done, node.summary = True, None
            return None
        parts.append(s)
    node.summary = _combine(parts, combine) if parts else None
    node.done = True
    return node.summary


def _combine(parts: list[_Summary], combine: bool) -> _Summary | None:
    signatures = {p.signature for p in parts}
    if len(signatures) > 1:
        return None
    union: set[str] = set()
    colsets: set[frozenset[str]] = set()
    for p in parts:
        union |= p.names
        colsets |= p.colsets
    if not combine:
        if len(colsets) > MAX_CLUSTERS:
            return None
        for p in parts:
            if union and len(p.names) / len(union) <= SIMILARITY:
                return None
    return _Summary(parts[0].signature, frozenset(union), frozenset(colsets))


def _find_roots(node: _Node, location: str, path: tuple[str, ...], level: int, combine: bool,
                tables: list[TablePlan], notes: list[str]) -> None:
    if _summary(node, combine) is not None:
        below = _collect(node)
        if below:
            _add(tables, _make_table(node.name, location, below, len(path), notes))
        return
    notes.append(f"Found schemas don't match at level {level} ({location}): looking for tables one level down")
    for f in node.files:
        name = f.obj.key.rsplit("/", 1)[-1]
        _add(tables, _make_table(name, f.obj.uri, [f], len(f.folders), notes))
    for name, child in sorted(node.children.items()):
        _find_roots(child, f"{location}{name}/", path + (name,), level + 1, combine, tables, notes)


def _forced_roots(node: _Node, location: str, path: tuple[str, ...], depth: int, combine: bool,
                  tables: list[TablePlan], notes: list[str]) -> None:
    if len(path) == depth:
        below = _collect(node)
        if not below:
            return
        by_signature = Counter(f.schema.signature for f in below)
        signature, _ = by_signature.most_common(1)[0]
        for f in below:
            if f.schema.signature != signature:
                notes.append(f"Skipped {f.obj.uri}: its format ({f.schema.classification}) differs from the table's "
                             f"({signature[0]}) at the configured table level")
        _add(tables, _make_table(node.name, location, [f for f in below if f.schema.signature == signature], len(path), notes))
        return
    for f in node.files:
        notes.append(f"Skipped {f.obj.uri}: it lies above the configured table level")
    for name, child in sorted(node.children.items()):
        _forced_roots(child, f"{location}{name}/", path + (name,), depth, combine, tables, notes)


def _add(tables: list[TablePlan], table: TablePlan | None) -> None:
    if table is not None:
        tables.append(table)


def _collect(node: _Node) -> list[DataFile]:
    found = list(node.files)
    for _, child in sorted(node.children.items()):
        found += _collect(child)
    return found


def _make_table(name: str, location: str, files: list[DataFile], root_depth: int, notes: list[str]) -> TablePlan | None:
    """One table from the files under its root: partitions from the folders below the root."""
    rel = [f.folders[root_depth:] for f in files]
    depths = Counter(len(r) for r in rel)
    depth = max(depths, key=lambda d: (depths[d], d))
    kept: list[tuple[DataFile, tuple[str, ...]]] = []
    for f, r in zip(files, rel):
        if len(r) == depth:
            kept.append((f, r))
        else:
            notes.append(f"Skipped {f.obj.uri}: it is {len(r)} folder level(s) below the table root {location}, "
                         f"the table's partitions are {depth}")
    keys: list[str] = []
    hive_levels: list[bool] = []
    for i in range(depth):
        segments = {r[i] for _, r in kept}
        hive_keys = {s.split("=", 1)[0].lower() for s in segments if "=" in s}
        key = next(iter(hive_keys)) if len(hive_keys) == 1 else ""
        is_hive = all("=" in s for s in segments) and bool(re.fullmatch(r"[a-z0-9_]+", key)) and key not in keys
        if not is_hive:
            key = f"partition_{i}"
        keys.append(key)
        hive_levels.append(is_hive)
    groups: dict[tuple[str, ...], list[DataFile]] = {}
    for f, r in kept:
        groups.setdefault(r, []).append(f)
    partitions = []
    for folders, members in sorted(groups.items()):
        values = tuple(seg.split("=", 1)[1] if hive else seg for seg, hive in zip(folders, hive_levels))
        columns = merged_columns(members)
        partitions.append(PartitionPlan(values, location + "".join(f"{seg}/" for seg in folders), members, columns))
    members = [f for f, _ in kept]
    if not members:
        return None
    columns = merged_columns(members)
    clash = [c for c, _ in columns if c in keys]
    if clash:
        notes.append(f"Columns {', '.join(clash)} of {location} are also partition keys; the partition keys are kept")
        columns = tuple(c for c in columns if c[0] not in keys)
        for p in partitions:
            p.columns = tuple(c for c in p.columns if c[0] not in keys)
    warnings = sorted({w for f in members for w in f.schema.warnings})
    return TablePlan(table_name(name), location, members, members[0].schema.signature, columns, keys,
                     partitions if depth else [], warnings)


def merged_columns(files: list[DataFile]) -> tuple[tuple[str, ht.HiveType], ...]:
    columns: tuple[tuple[str, ht.HiveType], ...] = ()
    seen: set[tuple] = set()
    for f in files:
        if f.schema.columns in seen:
            continue
        seen.add(f.schema.columns)
        columns = ht.merge_fields(columns, f.schema.columns)
    return columns


def partitions_under(location: str, keys: list[str], files: list[tuple[DataFile, tuple[str, ...]]],
                     notes: list[str]) -> list[PartitionPlan]:
    """Partitions of an existing table (``RecrawlPolicy`` ``CRAWL_NEW_FOLDERS_ONLY``) from files below its location.

    ``files`` pairs each file with its folders below the table's location. A
    level of a partition key named like a Hive key takes the value after ``=``.
    """
    groups: dict[tuple[str, ...], list[DataFile]] = {}
    for f, folders in files:
        if len(folders) != len(keys):
            notes.append(f"Skipped {f.obj.uri}: it is {len(folders)} folder level(s) below the table {location}, "
                         f"whose partitions are {len(keys)}")
            continue
        groups.setdefault(folders, []).append(f)
    partitions = []
    for folders, members in sorted(groups.items()):
        values = tuple(seg.split("=", 1)[1] if "=" in seg and seg.split("=", 1)[0].lower() == key else seg
                       for seg, key in zip(folders, keys))
        columns = tuple(c for c in merged_columns(members) if c[0] not in keys)
        partitions.append(PartitionPlan(values, location + "".join(f"{seg}/" for seg in folders), members, columns))
    return partitions
