"""Executing an experiment: batches of runs on a process pool or Dask, streamed to Parquet
parts, resumable, consolidated into byte-reproducible ``kpis.parquet`` and
``timeseries.parquet``.

Layout of an output folder ``DIR``::

    experiment.json        the resolved experiment and its fingerprint (written first)
    parts/part-A-B.*.parquet  finished runs A..B (kpis part = commit marker), while running
    kpis.parquet           one row per run, sorted by run index
    timeseries.parquet     long format: run, variable, step, value (sorted in that order)
    manifest.json          experiment, columns, failures, versions, execution details

Test hook: if the environment variable ``EGOV_SIM_FAIL_RUNS`` holds comma-separated run
indices, the sweep worker raises an error in those runs before running the model. It
exists only so tests can check failure recording; nothing in an experiment file reaches it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import RELATIONS
from ..io.parameters import apply_values
from ..io.pools import process_pool, start_method
from ..io.scenario_io import ScenarioError, validate
from ..outputs.kpis import KPI_INFO
from ..outputs.scorecard import PERSPECTIVES
from .design import Design, make_design, run_info as _design_run_info
from .parts import (
    _ARROW as _ARROW,
    KPI_ROW_GROUP as KPI_ROW_GROUP,
    PARQUET_OPTIONS as PARQUET_OPTIONS,
    TS_ROW_GROUP as TS_ROW_GROUP,
    TS_SCHEMA as TS_SCHEMA,
    PartCache as PartCache,
    PendingParts as PendingParts,
    _FixedGroups as _FixedGroups,
    _part_name as _part_name,
    _write_parquet as _write_parquet,
    columns_table as columns_table,
    consolidate as consolidate,
    kpi_schema as kpi_schema,
    read_parquet as read_parquet,
    remember_part as remember_part,
    scan_parts as scan_parts,
    scorecard_columns as scorecard_columns,
    write_part as write_part,
)
from .spec import Experiment

FAIL_ENV = "EGOV_SIM_FAIL_RUNS"


# ---------------------------------------------------------------------- worker side
_CACHE: dict[str, tuple[dict[str, Any], Design]] = {}


def _prepared(exp: Experiment) -> tuple[dict[str, Any], Design]:
    """Base parameters and design, computed once per worker process and experiment."""
    key = json.dumps([exp.to_json(), exp.base_data], sort_keys=True, default=str)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = (exp.base_config().model_dump(), make_design(exp))
    return _CACHE[key]


_PARENT: int | None = None


#: Dask worker callbacks of its statistical profiler, which :func:`dask_setup` stops.
DASK_PROFILER = ("profile", "profile-cycle")


def dask_setup(worker: Any = None) -> None:
    """Hook of ``dask worker --preload simulation.experiments.sweep``: the worker imports
    the model before its first task, not during it, and does without Dask's statistical
    profiler. That profiler takes the interpreter lock every 10 ms to walk the running
    task's stack, which made these runs about a fifth slower (docs/PERFORMANCE.md). Workers
    started without the preload keep it, as Dask's ``distributed.worker.profile`` says."""
    from ..runs import ensemble as _ensemble, runner as _runner  # noqa: F401

    callbacks = getattr(worker, "periodic_callbacks", None)
    if isinstance(callbacks, dict):  # preloads run before the worker starts its callbacks
        for name in DASK_PROFILER:
            callback = callbacks.pop(name, None)
            if callback is not None:
                callback.stop()


def _init_worker(parent: int) -> None:
    """Pool initializer: remember the sweep's pid so an orphaned worker can stop."""
    global _PARENT
    _PARENT = parent


def _orphaned() -> bool:
    # After kill -9 of the sweep, pool workers are re-parented; they stop instead of
    # finishing work nobody will write.
    return _PARENT is not None and os.getppid() != _PARENT


def _failing_runs() -> set[int]:
    text = os.environ.get(FAIL_ENV, "")
    return {int(t) for t in text.split(",") if t.strip()}


def run_count(exp: Experiment, design: Design) -> int:
    """Runs of ``exp``: points x replications, times the draws with an ``--ensemble``
    (unless each point has its own draw, ``point_draws``)."""
    return design.points * exp.draw_axis * exp.replications


def run_info(exp: Experiment, run: int) -> tuple[int, int, int, int]:
    """(design point, draw, replication, seed) of run index ``run``.

    Runs are numbered point-major, then draw, then replication; the seed depends only on the
    replication (common random numbers across points and draws) and draw ``d`` is the same
    parameter set at every point (common parameters). Without an ensemble the draw is 0 and
    the numbering is :func:`.design.run_info`'s."""
    if exp.draw_axis == 1:
        point, rep, seed = _design_run_info(exp, run)
        draw = exp.point_draws[point] if exp.point_draws else 0
        return point, draw, rep, seed
    block, rep = divmod(run, exp.replications)
    point, draw = divmod(block, exp.draw_axis)
    _, _, seed = _design_run_info(exp, rep)  # run index rep has replication rep
    return point, draw, rep, seed


def write_draws(exp: Experiment, out: Path) -> Path | None:
    """``out/draws.csv``: one row per draw of the ensemble with every drawn number."""
    if not exp.ensemble:
        return None
    import csv

    from ..runs.ensemble import draws_table

    rows = draws_table(exp.draws)
    names = sorted({k for r in rows for k in r if k != "draw"})
    path = Path(out) / "draws.csv"
    tmp = path.with_name("draws.csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["draw", *names], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    return path


def run_batch(exp: Experiment, runs: list[int]) -> tuple[pa.Table, pa.Table]:
    """Run ``runs`` (run indices) of ``exp``; a run that raises becomes a row with its error."""
    return tables(exp, *run_columns(exp, runs))


def tables(
    exp: Experiment, kpis: dict[str, list[Any]], ts: dict[str, list[Any]]
) -> tuple[pa.Table, pa.Table]:
    """The KPI and time-series tables of :func:`run_columns`' columns."""
    return columns_table(kpis, kpi_schema(exp)), columns_table(ts, TS_SCHEMA)


def _warm(exp: Experiment) -> None:
    """What every run needs, imported and computed once: forked workers inherit it."""
    dask_setup()
    _prepared(exp)


def run_columns(exp: Experiment, runs: list[int]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """:func:`run_batch` as plain columns (KPI rows, long time series). Workers return
    these, not Arrow tables: building the first Arrow array imports pandas (about 0.4 s),
    which a worker then never pays."""
    from ..runs.ensemble import configure
    from ..runs.runner import run

    base, design = _prepared(exp)
    schema = kpi_schema(exp)
    rows: dict[str, list[Any]] = {name: [] for name in schema.names}
    ts: dict[str, list[Any]] = {name: [] for name in TS_SCHEMA.names}
    fail = _failing_runs()
    pinned = exp.pinned() if exp.draws else set()
    for i in runs:
        if _orphaned():
            os._exit(3)
        point, draw, rep, seed = run_info(exp, i)
        values = design.values[point]
        row: dict[str, Any] = {"run": i, "point": point, "replication": rep, "seed": seed, **values}
        if exp.ensemble:
            row["draw"] = draw
        try:
            if i in fail:
                raise RuntimeError(f"injected failure of run {i} ({FAIL_ENV} test hook)")
            config = validate(apply_values(base, values), f"design point {point}")
            if exp.draws:
                config = configure(config, exp.draws[draw], pinned, f"design point {point}, draw {draw}")
            result = run(config, seed=seed, steps=exp.months)
        except Exception as exc:  # noqa: BLE001 - any model error is recorded, the sweep goes on
            row["error"] = f"{type(exc).__name__}: {exc}"
        else:
            row.update({k: result.kpis.get(k) for k in exp.kpis})
            if exp.scorecard:
                cells = result.cells()
                for p in PERSPECTIVES:
                    for r in RELATIONS:
                        row[f"sc.{p}.{r}"] = cells[f"sc.{p}.{r}"]
            # The plain columns, not result.timeseries: a worker then never imports pandas.
            steps = np.asarray(result.series["step"], dtype=np.int64)
            keep = (steps % exp.every == 0) | (steps == steps[-1])
            for var in exp.series:
                vals = np.asarray(result.series[var], dtype=float)[keep]
                ts["run"].extend([i] * len(vals))
                ts["variable"].extend([var] * len(vals))
                ts["step"].extend(steps[keep].tolist())
                ts["value"].extend(vals.tolist())
        for name in schema.names:
            rows[name].append(row.get(name))
    for k in exp.kpis:  # KPIs are stored as float64 except booleans; None stays null
        if KPI_INFO[k][0] != "bool":
            rows[k] = [None if v is None else float(v) for v in rows[k]]
    return rows, ts


def batches(todo: list[int], size: int) -> Iterator[list[int]]:
    """Consecutive runs in chunks of at most ``size``, split at gaps so every part holds
    a contiguous range of run indices."""
    chunk: list[int] = []
    for i in todo:
        if chunk and (len(chunk) >= size or i != chunk[-1] + 1):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


def guided(todo: list[int], size: int, slots: int) -> Iterator[list[int]]:
    """Chunks for ``slots`` parallel workers: at most ``size`` runs, and never more than a
    ``1 / (2 slots)`` share of the runs still to hand out, so chunks shrink to single runs
    at the end and the workers finish within about one run of each other. (Later design
    points can cost twice as much as early ones, so equal chunks leave a worker idle at
    the end.) Split at gaps like :func:`batches`."""
    pos, n = 0, len(todo)
    while pos < n:
        k = max(1, min(size, math.ceil((n - pos) / (2 * slots))))
        end = pos + 1
        while end < pos + k and todo[end] == todo[end - 1] + 1:
            end += 1
        yield todo[pos:end]
        pos = end


# ---------------------------------------------------------------------- execution
@dataclass
class SweepOutcome:
    out: Path
    runs: int
    ran: int
    failures: int
    elapsed: float


def _executor_local(workers: int) -> tuple[Callable[..., Any], Callable[[], None], Callable[..., Any]]:
    pool = process_pool(workers, initializer=_init_worker, initargs=(os.getpid(),))

    def submit(fn: Callable[..., Any], *args: Any) -> Any:
        return pool.submit(fn, *args)

    def done_any(futures: set[Any]) -> set[Any]:
        finished, _ = wait(futures, return_when=FIRST_COMPLETED)
        return finished

    return submit, lambda: pool.shutdown(cancel_futures=True), done_any


class DaskExecutor(NamedTuple):
    submit: Callable[..., Any]
    close: Callable[[], None]
    done_any: Callable[..., Any]
    client: Any  # the distributed.Client
    slots: Callable[[], int]  # task slots: worker threads, at least the requested (read ≤ 1/s)


def _executor_dask(address: str, workers: int) -> DaskExecutor:
    try:
        from distributed import Client, LocalCluster, wait as dwait
    except ModuleNotFoundError as exc:
        raise ScenarioError(
            f"--cluster {address}: Dask is not installed ({exc.name}); install the extra: "
            "pip install 'egov-sim[dask]'"
        ) from None

    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            preload=[__name__],  # dask_setup: the model imported once, no profiler
        )
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise ScenarioError(f"--cluster {address}: cannot connect to a Dask scheduler ({exc})") from None

    def submit(fn: Callable[..., Any], *args: Any) -> Any:
        return client.submit(fn, *args, pure=False)

    def done_any(futures: set[Any]) -> set[Any]:
        return set(dwait(list(futures), return_when="FIRST_COMPLETED").done)

    def close() -> None:
        client.close()
        if cluster is not None:
            cluster.close()

    seen = {"at": -math.inf, "slots": workers}

    def slots() -> int:
        """Worker threads on the scheduler, but never fewer than ``workers``: workers of a
        cluster started just before may not have joined yet."""
        now = time.monotonic()
        if now - seen["at"] >= 1.0:
            try:
                count = sum(client.nthreads().values())
            except Exception:  # noqa: BLE001 - a scheduler that cannot say: keep the last
                count = 0
            seen.update(at=now, slots=max(workers, count, seen["slots"]))
        return seen["slots"]

    return DaskExecutor(submit, close, done_any, client, slots)


def _progress(total: int, initial: int, label: str) -> Any:
    from tqdm import tqdm

    from ..io.progress import progress_disabled

    return tqdm(
        total=total,
        initial=initial,
        desc=label,
        unit="run",
        file=sys.stderr,
        mininterval=0.5,
        dynamic_ncols=True,
        disable=progress_disabled(),
    )


def prepare_out(exp: Experiment, out: Path, resume: bool) -> None:
    """Create ``out`` (or check it belongs to this experiment when resuming)."""
    marker = out / "experiment.json"
    if marker.exists():
        if not resume:
            raise ScenarioError(
                f"{out}: already holds a sweep; add --resume to finish it or choose another --out"
            )
        try:
            old = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ScenarioError(f"{out}/experiment.json: unreadable; start in a new --out") from None
        if old.get("fingerprint") != exp.fingerprint():
            raise ScenarioError(
                f"{out}: was started with a different experiment (or a changed base scenario); "
                f"use another --out"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise ScenarioError(f"{out}: exists and is not a sweep folder; choose another --out")
    (out / "parts").mkdir(parents=True, exist_ok=True)
    tmp = marker.with_name("experiment.json.tmp")
    tmp.write_text(
        json.dumps({"fingerprint": exp.fingerprint(), "experiment": exp.to_json()}, indent=2) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, marker)


def default_batch(remaining: int, workers: int) -> int:
    """About 4 tasks per worker, at most 25 runs per task (kill -9 loses ≤ one task each);
    with several workers about 12 tasks each, at most 10 runs, so that the last tasks
    finish together (a task costs a few milliseconds: the runs' indices and the experiment)."""
    if workers <= 1:
        return max(1, min(25, math.ceil(remaining / 4)))
    return max(1, min(10, math.ceil(remaining / (12 * workers))))


def _run_local(
    exp: Experiment,
    chunks: Iterator[list[int]],
    workers: int,
    record: Callable[..., None],
    pool: tuple[Callable[..., Any], Callable[[], None], Callable[..., Any]],
) -> None:
    """Run ``chunks`` on ``workers`` cores: ``pool``'s ``workers - 1`` processes (see
    :mod:`simulation.io.pools`: forked from the CLI, they start at once) and a thread of
    this one.

    This process computes too instead of only waiting, so spawned helpers (about 0.7 s to
    start Python and import the model) cost no idle core, and its own bookkeeping (writing
    parts) happens while it waits for results. Every slot gets its next task the moment it
    is free, so the last tasks end together. Every run depends only on its index, so where
    a task runs does not change a bit of the results."""
    from concurrent.futures import ThreadPoolExecutor

    submit, close, done_any = pool
    here = ThreadPoolExecutor(1, thread_name_prefix="egov-sim-sweep")
    slots = [lambda runs: here.submit(run_columns, exp, runs)]
    slots += [lambda runs: submit(run_columns, exp, runs)] * (workers - 1)
    inflight: dict[Any, tuple[list[int], int]] = {}
    try:
        for slot, start in enumerate(slots):
            runs = next(chunks, None)
            if runs is None:
                break
            inflight[start(runs)] = (runs, slot)
        while inflight:
            for fut in done_any(set(inflight)):
                runs, slot = inflight.pop(fut)
                following = next(chunks, None)
                if following is not None:  # the slot gets its next task before the writing
                    inflight[slots[slot](following)] = (following, slot)
                record(runs, *fut.result())
    finally:
        here.shutdown(wait=True, cancel_futures=True)
        close()


def sweep(
    exp: Experiment,
    out: Path,
    *,
    workers: int = 1,
    cluster: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> SweepOutcome:
    """Run every run of ``exp`` not yet in ``out``, then consolidate. Parts stream to disk
    as tasks finish; the parent keeps only counters (memory flat in the number of runs)."""
    start = time.perf_counter()
    out = Path(out)
    design = make_design(exp)
    n_runs = run_count(exp, design)
    if cluster is None and workers > 1:
        start_method()  # a bad EGOV_SIM_START_METHOD is refused before anything is written
    prepare_out(exp, out, resume)
    if (out / "manifest.json").exists() and (out / "kpis.parquet").exists():
        failures = _count_failures(out)
        return SweepOutcome(out, n_runs, 0, failures, time.perf_counter() - start)
    _, done = scan_parts(out / "parts")
    todo = [i for i in range(n_runs) if i not in done]
    n_workers = workers if cluster is None else max(workers, 1)
    local = dask = None
    bar = None
    failures = 0
    ran = 0
    written = PartCache()
    pending = PendingParts(exp, out / "parts", written, shared=not exp.batch)

    def record(runs: list[int], kpi_columns: dict[str, list[Any]], ts_columns: dict[str, list[Any]]) -> None:
        nonlocal failures, ran
        pending.add(runs, kpi_columns, ts_columns)
        failures += sum(e is not None for e in kpi_columns["error"])
        ran += len(runs)
        if bar is not None:
            bar.update(len(runs))
            bar.set_postfix(failures=failures, refresh=False)

    try:
        if cluster is None and workers > 1 and todo:
            _warm(exp)
            local = _executor_local(workers - 1)  # before the progress bar starts its thread
        elif cluster is not None and todo:
            dask = _executor_dask(cluster, n_workers)
            n_workers = dask.slots()  # a bigger cluster: as many as it has
        size = exp.batch or default_batch(len(todo), n_workers)
        # Shrinking chunks only where several workers share the runs and the experiment
        # leaves the batch size to us; ``batch = N`` in the file is taken as written.
        parallel = n_workers > 1 or cluster is not None
        chunks = guided(todo, size, n_workers) if parallel and not exp.batch else batches(todo, size)
        bar = _progress(n_runs, len(done), exp.name) if progress else None
        if local is not None:
            _run_local(exp, chunks, workers, record, local)
        elif cluster is None:
            for runs in chunks:
                record(runs, *run_columns(exp, runs))
        elif dask is not None:
            # Bounded in-flight tasks: results are written as they arrive (and kept only
            # while parts.PART_CACHE_BYTES allows); a free worker always finds one queued.
            inflight: dict[Any, list[int]] = {}
            for runs in chunks:
                inflight[dask.submit(run_columns, exp, runs)] = runs
                if len(inflight) >= 2 * dask.slots():  # workers that join later get work
                    for fut in dask.done_any(set(inflight)):
                        record(inflight.pop(fut), *fut.result())
            while inflight:
                for fut in dask.done_any(set(inflight)):
                    record(inflight.pop(fut), *fut.result())
    except BaseException:
        # Runs finished before the interruption are kept for --resume; if even that
        # fails, the interruption is the error to report.
        with contextlib.suppress(Exception):
            pending.flush()
        raise
    finally:
        if bar is not None:
            bar.close()
        if local is not None:
            local[1]()  # again, if the bar failed before the pool was used (idempotent)
        if dask is not None:
            dask.close()
    pending.keep()
    consolidate(exp, out, n_runs, written)
    failures_total = _count_failures(out)
    elapsed = time.perf_counter() - start
    write_manifest(exp, out, design, n_runs, failures_total, n_workers, cluster, size, elapsed, resume)
    for p in (out / "parts").glob("part-*"):
        p.unlink()
    (out / "parts").rmdir()
    return SweepOutcome(out, n_runs, ran, failures_total, elapsed)


class TaskEngine:
    """The sweep's executors for other work (``egov-sim calibrate``): ``map(fn, items)``
    returns ``fn(item)`` for every item, in order, on ``workers`` spawned processes or a
    Dask cluster (``cluster`` = ``local`` or ``HOST:PORT``); one worker runs in-process.
    Results do not depend on the number of workers."""

    def __init__(self, workers: int = 1, cluster: str | None = None) -> None:
        self.workers, self.cluster = workers, cluster
        self._parts: tuple[Any, ...] | None = None

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if self.cluster is None and (self.workers <= 1 or len(items) < 2):
            return [fn(x) for x in items]
        if self._parts is None:
            self._parts = (
                _executor_local(self.workers)
                if self.cluster is None
                else _executor_dask(self.cluster, max(1, self.workers))
            )
        submit = self._parts[0]
        futures = [submit(fn, x) for x in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._parts is not None:
            self._parts[1]()
            self._parts = None

    def __enter__(self) -> TaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count_failures(out: Path) -> int:
    col = read_parquet(out / "kpis.parquet", columns=["error"]).column("error")
    return len(col) - col.null_count


def failure_summary(out: Path, limit: int = 10) -> list[str]:
    """Lines describing failed runs (index, point, replication, seed, factors, error)."""
    table = pq.read_table(out / "kpis.parquet")
    err = table.column("error")
    mask = np.asarray(err.is_valid())
    idx = np.nonzero(mask)[0][:limit]
    if not idx.size:
        return []
    sub = table.take(pa.array(idx))
    meta = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    factor_names = [f["name"] for f in meta["experiment"]["factors"]]
    lines = []
    for row in sub.to_pylist():
        params = ", ".join(f"{n}={row[n]!r}" for n in factor_names)
        lines.append(
            f"run {row['run']} (point {row['point']}, replication {row['replication']}, "
            f"seed {row['seed']}{', ' + params if params else ''}): {row['error']}"
        )
    return lines


def write_manifest(
    exp: Experiment,
    out: Path,
    design: Design,
    n_runs: int,
    failures: int,
    workers: int,
    cluster: str | None,
    batch: int,
    elapsed: float,
    resumed: bool,
) -> None:
    from ..runs.runner import versions

    schema = kpi_schema(exp)
    data = {
        "experiment": exp.to_json(),
        "fingerprint": exp.fingerprint(),
        "design_points": design.points,
        "runs": n_runs,
        "failures": failures,
        "seeds": "derive_seed(seed, replication): shared by all design points (common random numbers)",
        "files": {
            "kpis.parquet": "one row per run, sorted by run; error is null for runs that finished",
            "timeseries.parquet": "long format (run, variable, step, value), sorted in that order",
        },
        "kpi_columns": {f.name: str(f.type) for f in schema},
        "kpi_units": {k: KPI_INFO[k][0] for k in exp.kpis},
        "versions": versions(),
        "execution": {  # the only part that differs between equivalent sweeps
            "workers": workers,
            "cluster": cluster,
            "batch": batch,
            "elapsed_s": round(elapsed, 2),
            "resumed": resumed,
        },
    }
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
