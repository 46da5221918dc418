"""A sweep's part files: Arrow schemas, one Parquet part per task, the scan that makes a sweep resumable, and the consolidation into kpis.parquet and timeseries.parquet."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import RELATIONS
from ..io.scenario_io import ScenarioError
from ..outputs.kpis import KPI_INFO
from ..outputs.scorecard import PERSPECTIVES
from .spec import Experiment

#: Fixed Parquet settings so equal tables give equal bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1 << 20,
}


KPI_ROW_GROUP = 50_000


TS_ROW_GROUP = 100_000  # bounds the parent's memory while consolidating (about 40 MB)

#: Consolidation joins every this many parts' tables into one while it fills a row group.
COMPACT_EVERY = 64


_ARROW = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


def scorecard_columns() -> list[str]:
    return [f"sc.{p}.{r}" for p in PERSPECTIVES for r in RELATIONS]


def kpi_schema(exp: Experiment) -> pa.Schema:
    """Columns of kpis.parquet: ids, factor values, KPIs, scorecard cells, error."""
    fields = [
        pa.field("run", pa.int64(), nullable=False),
        pa.field("point", pa.int64(), nullable=False),
        *([pa.field("draw", pa.int64(), nullable=False)] if exp.ensemble else []),
        pa.field("replication", pa.int64(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
    ]
    fields += [pa.field(f.name, _ARROW[f.dtype]) for f in exp.factors]
    fields += [pa.field(k, pa.bool_() if KPI_INFO[k][0] == "bool" else pa.float64()) for k in exp.kpis]
    if exp.scorecard:
        fields += [pa.field(c, pa.float64()) for c in scorecard_columns()]
    fields.append(pa.field("error", pa.string()))
    return pa.schema(fields)


TS_SCHEMA = pa.schema(
    [
        pa.field("run", pa.int64(), nullable=False),
        pa.field("variable", pa.string(), nullable=False),
        pa.field("step", pa.int64(), nullable=False),
        pa.field("value", pa.float64()),
    ]
)


# ---------------------------------------------------------------------- without pandas
# pyarrow imports pandas (about 0.3 s) the first time it converts Python values
# (pa.array, Table.from_pydict, Table.take) or reads a Parquet file with read_table. A
# sweep uses neither: it builds arrays from buffers and reads with ParquetFile.
def column_array(values: list[Any], type_: pa.DataType) -> pa.Array:
    """``values`` (None = null) as an Arrow array of ``type_`` (int64, float64, bool or
    string): the same array ``pa.array(values, type_)`` gives for values of that type
    (int, float, bool, str). Unlike pyarrow it does not check them: the sweep's values are
    validated and converted before they get here (see :func:`..sweep.run_columns`)."""
    n = len(values)
    valid = np.fromiter((v is not None for v in values), bool, n)
    nulls = n - int(valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    if pa.types.is_string(type_):
        data = [b"" if v is None else v.encode() for v in values]
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(np.fromiter(map(len, data), np.int32, n), out=offsets[1:])
        buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    elif pa.types.is_boolean(type_):
        bits = np.fromiter((bool(v) for v in values), bool, n)
        buffers = [bitmap, pa.py_buffer(np.packbits(bits, bitorder="little"))]
    elif pa.types.is_int64(type_) or pa.types.is_float64(type_):
        dtype = np.int64 if pa.types.is_int64(type_) else np.float64
        buffers = [bitmap, pa.py_buffer(np.array([0 if v is None else v for v in values], dtype))]
    else:  # pragma: no cover - the schemas above use only these four types
        raise TypeError(f"column_array: no conversion for {type_}")
    return pa.Array.from_buffers(type_, n, buffers, null_count=nulls)


def columns_table(columns: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """``pa.Table.from_pydict(columns, schema=schema)``, without importing pandas."""
    return pa.Table.from_arrays([column_array(columns[f.name], f.type) for f in schema], schema=schema)


def read_parquet(
    path: Path | str, schema: pa.Schema | None = None, columns: list[str] | None = None
) -> pa.Table:
    """``pq.read_table(path, schema=schema, columns=columns)`` for a file this module wrote,
    without importing pandas."""
    table = pq.ParquetFile(path).read(columns=columns)
    if schema is not None and not table.schema.equals(schema):
        table = table.cast(schema)
    return table


# ---------------------------------------------------------------------- parts on disk
def _write_parquet(table: pa.Table, path: Path, row_group: int) -> None:
    """Write atomically (temp file, then rename) so a kill never leaves a torn file."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table.combine_chunks(), tmp, row_group_size=row_group, **PARQUET_OPTIONS)
    os.replace(tmp, path)


def _part_name(runs: list[int]) -> str:
    return f"part-{runs[0]:09d}-{runs[-1]:09d}"


def write_part(parts: Path, runs: list[int], kpis: pa.Table, ts: pa.Table) -> None:
    name = _part_name(runs)
    _write_parquet(ts, parts / f"{name}.ts.parquet", TS_ROW_GROUP)
    # The kpis part is written last: it marks the part complete.
    _write_parquet(kpis, parts / f"{name}.kpis.parquet", KPI_ROW_GROUP)


#: Parts this process wrote, kept (up to PART_CACHE_BYTES) so that consolidation need
#: not read them back: {stem path: (kpis, time series)}. The tables are the ones written,
#: so the consolidated files are the same bytes either way.
PART_CACHE_BYTES = 16 << 20


class PartCache(dict[Path, tuple[pa.Table, pa.Table]]):
    """Parts by stem path. ``unwritten`` are parts held only here (never written to disk:
    the sweep's last finished runs, which go straight into consolidation)."""

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0  # of the written parts' tables held
        self.unwritten: set[Path] = set()


def remember_part(cache: PartCache, parts: Path, runs: list[int], kpis: pa.Table, ts: pa.Table) -> None:
    """Keep a part just written in ``cache`` while the cache holds under PART_CACHE_BYTES."""
    size = kpis.nbytes + ts.nbytes
    if cache.nbytes + size <= PART_CACHE_BYTES:
        cache[parts / _part_name(runs)] = (kpis, ts)
        cache.nbytes += size


#: Seconds of finished runs a sweep holds before writing them as one part, when the
#: experiment leaves the batch size to the sweep. Tasks on several workers shrink to single
#: runs of a few tens of milliseconds; a part for each cost the parent, which computes too,
#: about 7 ms (two Parquet files), a fifth of a short sweep's time on 2 workers. A kill
#: then loses at most the tasks in flight and this much finished work.
PART_SECONDS = 1.0


class PendingParts:
    """Finished tasks not yet written as parts. :meth:`add` writes all that are pending,
    merged into contiguous runs, once :data:`PART_SECONDS` have passed since the last
    write if ``shared``, else each task at once (as for ``batch = N``); :meth:`keep` hands
    what is left to consolidation in memory; :meth:`flush` writes it (on interruption)."""

    def __init__(self, exp: Experiment, parts: Path, cache: PartCache, *, shared: bool) -> None:
        self.kpi_schema = kpi_schema(exp)
        self.parts = parts
        self.cache = cache
        self.every = PART_SECONDS if shared else None
        self.since = time.monotonic()
        self.tasks: list[tuple[list[int], dict[str, list[Any]], dict[str, list[Any]]]] = []

    def add(self, runs: list[int], kpis: dict[str, list[Any]], ts: dict[str, list[Any]]) -> None:
        self.tasks.append((runs, kpis, ts))
        if self.every is None or time.monotonic() - self.since >= self.every:
            self.flush()

    def _merged(self) -> Iterator[tuple[list[int], pa.Table, pa.Table]]:
        """Pending tasks in run order, contiguous ones joined, as (runs, kpis, ts) tables."""
        groups: list[list[tuple[list[int], dict[str, list[Any]], dict[str, list[Any]]]]] = []
        for task in sorted(self.tasks, key=lambda t: t[0][0]):
            if groups and task[0][0] == groups[-1][-1][0][-1] + 1:
                groups[-1].append(task)
            else:
                groups.append([task])
        self.tasks = []
        for group in groups:
            runs = [r for t in group for r in t[0]]
            kpis = {n: [v for t in group for v in t[1][n]] for n in self.kpi_schema.names}
            ts = {n: [v for t in group for v in t[2][n]] for n in TS_SCHEMA.names}
            yield runs, columns_table(kpis, self.kpi_schema), columns_table(ts, TS_SCHEMA)

    def flush(self) -> None:
        for runs, kpis, ts in self._merged():
            write_part(self.parts, runs, kpis, ts)
            remember_part(self.cache, self.parts, runs, kpis, ts)
        self.since = time.monotonic()

    def keep(self) -> None:
        for runs, kpis, ts in self._merged():
            stem = self.parts / _part_name(runs)
            self.cache[stem] = (kpis, ts)
            self.cache.unwritten.add(stem)


def scan_parts(parts: Path, cache: PartCache | None = None) -> tuple[list[tuple[int, int, Path]], set[int]]:
    """Complete parts as (first run, last run, stem path) and the set of finished runs,
    with the ``cache``'s unwritten parts; deletes leftovers of interrupted writes."""
    if not parts.exists():
        return [], set()
    for p in parts.glob("*.tmp"):
        p.unlink()
    done: set[int] = set()
    found = []
    for kp in sorted(parts.glob("part-*.kpis.parquet")):
        stem = kp.name.removesuffix(".kpis.parquet")
        cached = (cache or {}).get(parts / stem)
        table = cached[0] if cached else read_parquet(kp, columns=["run"])
        runs = table.column("run").to_pylist()
        done.update(runs)
        found.append((runs[0], runs[-1], parts / stem))
    for tp in parts.glob("part-*.ts.parquet"):
        if not (parts / tp.name.replace(".ts.parquet", ".kpis.parquet")).exists():
            tp.unlink()
    for stem in sorted(cache.unwritten if cache else ()):
        runs = cache[stem][0].column("run").to_pylist()
        done.update(runs)
        found.append((runs[0], runs[-1], stem))
    return sorted(found), done


class _FixedGroups:
    """Parquet writer whose row groups depend only on the rows, not on how they arrive."""

    def __init__(self, path: Path, schema: pa.Schema, row_group: int) -> None:
        self.tmp = path.with_name(path.name + ".tmp")
        self.path = path
        self.row_group = row_group
        self.writer = pq.ParquetWriter(self.tmp, schema, **PARQUET_OPTIONS)
        self.buffer: list[pa.Table] = []
        self.rows = 0
        self.small = 0  # tables added since the last compaction

    def add(self, table: pa.Table) -> None:
        self.buffer.append(table)
        self.rows += table.num_rows
        self.small += 1
        if self.small >= COMPACT_EVERY:
            # Many small tables cost far more than their rows (every column's buffers are
            # allocated and padded apiece): 2.4 kB against 0.46 kB a run of kpis.parquet,
            # so the buffer grew by 37 MiB over 16,000 runs. Joining them keeps the bytes.
            self.buffer[-self.small :] = [pa.concat_tables(self.buffer[-self.small :]).combine_chunks()]
            self.small = 0
        while self.rows >= self.row_group:
            whole = pa.concat_tables(self.buffer).combine_chunks()
            self.writer.write_table(whole.slice(0, self.row_group), row_group_size=self.row_group)
            rest = whole.slice(self.row_group)
            self.buffer, self.rows, self.small = [rest], rest.num_rows, 0

    def close(self) -> None:
        if self.rows:
            whole = pa.concat_tables(self.buffer).combine_chunks()
            self.writer.write_table(whole, row_group_size=self.row_group)
        self.writer.close()
        os.replace(self.tmp, self.path)


def consolidate(exp: Experiment, out: Path, n_runs: int, cache: PartCache | None = None) -> None:
    """Stream the parts, in run order, into kpis.parquet and timeseries.parquet (parts in
    ``cache`` from memory, the others from disk)."""
    parts, done = scan_parts(out / "parts", cache)
    if len(done) != n_runs or min(done, default=0) != 0 or max(done, default=-1) != n_runs - 1:
        raise ScenarioError(f"{out}: {n_runs - len(done)} runs missing; finish the sweep with --resume")
    kpis = _FixedGroups(out / "kpis.parquet", kpi_schema(exp), KPI_ROW_GROUP)
    ts = _FixedGroups(out / "timeseries.parquet", TS_SCHEMA, TS_ROW_GROUP)
    expected = 0
    for first, last, stem in parts:
        if first != expected:  # pragma: no cover - parts never overlap
            raise ScenarioError(f"{out}/parts: overlapping or missing runs at {expected}")
        if cache and (cached := cache.get(stem)):
            kpis.add(cached[0])
            ts.add(cached[1])
        else:
            kpis.add(read_parquet(f"{stem}.kpis.parquet", kpi_schema(exp)))
            ts.add(read_parquet(f"{stem}.ts.parquet", TS_SCHEMA))
        expected = last + 1
    kpis.close()
    ts.close()
