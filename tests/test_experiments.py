"""Experiment layer: files, designs, sweeps (workers, resume, failures) and analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.cli import main
from simulation.experiments.design import make_design, run_info
from simulation.experiments.parts import column_array
from simulation.experiments.spec import (
    apply_values,
    load_experiment,
    shipped_experiments,
)
from simulation.experiments.sweep import DASK_PROFILER, FAIL_ENV, _executor_dask, dask_setup, guided, sweep
from simulation.io.pools import START_ENV, start_method
from simulation.io.scenario_io import ScenarioError
from simulation.runs.seeds import derive_seed

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
# Tiny test experiment.
[experiment]
base = "municipality_building_housing"
design = "factorial"
replications = 3
months = {months}
seed = 7
batch = 2

[fixed]
citizens.count = 300

[factors]
service.model = ["integration", "fragmentation"]
rollout.strategy = ["big_bang", "phased"]

[outputs]
timeseries = ["adoption", "integration"]
every = 2
"""


def write_tiny(folder: Path, months: int = 24, text: str = TINY) -> Path:
    path = folder / "tiny.toml"
    path.write_text(text.format(months=months), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_w1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    path = write_tiny(folder)
    out = folder / "w1"
    res = sweep(load_experiment(path), out, workers=1, progress=False)
    assert res.failures == 0 and res.runs == 12
    return path, out


# ---------------------------------------------------------------------- files
@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (
            "[experiment]\nbase = 'municipality_building_housing'\nreplicatons = 3\n",
            ["[experiment] replicatons", "replications"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\nreplications = 'many'\n",
            ["replications", "whole number"],
        ),
        ("[experiment]\nbase = 'municipality_building_housing'\nreplications = 0\n", ["replications", "≥ 1"]),
        (
            "[experiment]\nbase = 'municipality_building_housing'\ndesign = 'grid'\n",
            ["design", "'grid'", "factorial"],
        ),
        ("[experiment]\nbase = 'no_such_scenario'\n", ["[experiment] base", "no_such_scenario"]),
        ("[experiment]\nreplications = 2\n", ["base", "missing"]),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[factors]\ntrust.intial = [0.1, 0.2]\n",
            ["[factors] trust.intial", "did you mean 'trust.initial'"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[factors]\ntrust.initial = [0.1, 1.5]\n",
            ["[factors] trust.initial = 1.5", "≤ 1"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[factors]\nservice.model = ['integration', 'silo']\n",
            ["service.model = 'silo'", "integration"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[factors]\ntrust.initial = {min = 0.1, max = 0.9}\n",
            ["trust.initial", "range needs design lhs, sobol or morris"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\ndesign = 'sobol'\nsamples = 8\n"
            "[factors]\ntrust.initial = {min = 0.9, max = 0.1}\ntrust.loss_rate = {min = 0.1, max = 0.5}\n",
            ["trust.initial", "min must be below max"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\ndesign = 'lhs'\n[factors]\n"
            "trust.initial = {min = 0.1, max = 0.9}\n",
            ["samples", "required for design lhs"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[outputs]\nkpis = ['final_adopton']\n",
            ["[outputs] kpis", "final_adopton", "did you mean 'final_adoption'"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[outputs]\ntimeseries = ['adopton']\n",
            ["[outputs] timeseries", "did you mean 'adoption'"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[fixed]\ncitizens.count = 5\n",
            ["[fixed] citizens.count = 5", "≥ 10"],
        ),
        (
            "[experiment]\nbase = 'municipality_building_housing'\n[factors]\nrun.seed = [1, 2]\n",
            ["run.seed", "not a factor"],
        ),
        ("[experiment\nbase = 'x'\n", ["TOML syntax error", "line 1"]),
    ],
)
def test_invalid_experiment_files_are_rejected_clearly(tmp_path: Path, body: str, needles: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    msg = str(info.value)
    assert str(path) in msg
    for needle in needles:
        assert needle in msg, msg


def test_cli_rejects_bad_file_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\x00\x01binary")
    out = tmp_path / "out"
    assert main(["sweep", str(bad), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "binary" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err
    assert not out.exists()


def test_shipped_experiments_load_full_and_quick() -> None:
    shipped = shipped_experiments()
    assert len(shipped) >= 6
    for name, path in shipped.items():
        assert path.read_text(encoding="utf-8").startswith("# "), f"{name}: needs a comment header"
        full, quick = load_experiment(name), load_experiment(name, quick=True)
        n_full = make_design(full).points * full.replications
        n_quick = make_design(quick).points * quick.replications
        assert n_quick < n_full, name
        assert n_quick <= 200, name
    two = load_experiment("service_model_x_rollout")
    assert make_design(two).points == 4 and two.replications >= 30


# ---------------------------------------------------------------------- designs
def test_factorial_design_and_common_random_numbers(tiny_w1: tuple[Path, Path]) -> None:
    path, out = tiny_w1
    exp = load_experiment(path)
    design = make_design(exp)
    assert design.points == 4
    assert {tuple(v.values()) for v in design.values} == {
        (m, r) for m in ("integration", "fragmentation") for r in ("big_bang", "phased")
    }
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert kpis["run"].tolist() == list(range(12))
    # Same replication -> same seed at every design point; different replications differ.
    per_rep = kpis.groupby("replication")["seed"].nunique()
    assert (per_rep == 1).all()
    assert kpis.groupby("replication")["seed"].first().nunique() == 3
    assert kpis.loc[5, "seed"] == derive_seed(7, run_info(exp, 5)[1])


def test_lhs_design_is_stratified_and_seeded(tmp_path: Path) -> None:
    path = tmp_path / "lhs.toml"
    path.write_text(
        "[experiment]\nbase = 'municipality_building_housing'\ndesign = 'lhs'\nsamples = 10\nseed = 3\n"
        "[factors]\ntrust.initial = {min = 0.0, max = 1.0}\nnegotiation.package_breadth = {min = 1, max = 4}\n"
        "service.model = ['integration', 'fragmentation']\n",
        encoding="utf-8",
    )
    a, b = make_design(load_experiment(path)), make_design(load_experiment(path))
    assert np.array_equal(a.x, b.x)
    strata = np.floor(a.x[:, 0] * 10).astype(int)  # one point per tenth of the range
    assert sorted(strata) == list(range(10))
    assert {v["negotiation.package_breadth"] for v in a.values} <= {1, 2, 3, 4}
    assert all(isinstance(v["negotiation.package_breadth"], int) for v in a.values)
    assert {v["service.model"] for v in a.values} == {"integration", "fragmentation"}


def test_group_parameters_set_every_group() -> None:
    base = {
        "departments": {"groups": [{"resistance": 0.1}, {"resistance": 0.2}]},
        "partners": {"groups": [{}]},
    }
    out = apply_values(base, {"parties.groups.resistance": 0.5, "trust.initial": 0.3})
    assert [g["resistance"] for g in out["departments"]["groups"]] == [0.5, 0.5]
    assert out["partners"]["groups"][0]["resistance"] == 0.5
    assert out["trust"]["initial"] == 0.3
    assert base["departments"]["groups"][0]["resistance"] == 0.1  # input untouched


# ---------------------------------------------------------------------- sweeps
def test_one_and_two_workers_give_identical_bytes(tiny_w1: tuple[Path, Path], tmp_path: Path) -> None:
    path, out1 = tiny_w1
    out2 = tmp_path / "w2"
    res = sweep(load_experiment(path), out2, workers=2, progress=False)
    assert res.failures == 0
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    ts = pd.read_parquet(out1 / "timeseries.parquet")
    assert list(ts.columns) == ["run", "variable", "step", "value"]
    assert set(ts["variable"]) == {"adoption", "integration"}
    assert sorted(ts["step"].unique()) == list(range(0, 25, 2))
    assert not (out1 / "parts").exists()


@pytest.mark.parametrize("slots", [1, 2, 3, 8])
@pytest.mark.parametrize("size", [1, 3, 10])
def test_guided_chunks_shrink_cover_every_run_and_stay_contiguous(slots: int, size: int) -> None:
    todo = [i for i in range(60) if i not in {7, 8, 31}]  # gaps, as after a resume
    chunks = list(guided(todo, size, slots))
    assert [i for c in chunks for i in c] == todo
    assert all(c == list(range(c[0], c[0] + len(c))) for c in chunks)
    assert all(1 <= len(c) <= size for c in chunks)
    handed = 0
    for c in chunks:  # never more than 1 / (2 slots) of what is left (rounded up)
        assert len(c) <= max(1, -(-(len(todo) - handed) // (2 * slots)))
        handed += len(c)
    assert len(chunks[-1]) == 1


def test_guided_chunks_on_two_workers_give_identical_bytes(
    tiny_w1: tuple[Path, Path], tmp_path: Path
) -> None:
    """Without ``batch`` the 2-worker sweep hands out shrinking chunks; same bytes."""
    path, out1 = tiny_w1
    text = path.read_text(encoding="utf-8").replace("batch = 2\n", "")
    assert "batch" not in text
    auto = tmp_path / "auto.toml"
    auto.write_text(text, encoding="utf-8")
    out = tmp_path / "guided"
    assert sweep(load_experiment(auto), out, workers=2, progress=False).failures == 0
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (out / name).read_bytes(), name


def test_spawned_workers_give_the_same_bytes_as_forked(
    tiny_w1: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked workers (the default with one thread) and spawned ones give equal files."""
    path, out1 = tiny_w1
    monkeypatch.setenv(START_ENV, "spawn")
    assert start_method() == "spawn"
    res = sweep(load_experiment(path), tmp_path / "spawn", workers=2, progress=False)
    assert res.failures == 0
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (tmp_path / "spawn" / name).read_bytes(), name


@pytest.mark.parametrize("cache_bytes", [0, 8_000])
def test_consolidation_from_memory_or_disk_gives_the_same_bytes(
    tiny_w1: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_bytes: int
) -> None:
    """Parts kept in memory (all, some or none of them) consolidate to the same files as
    parts read back from disk."""
    from simulation.experiments import parts

    path, out1 = tiny_w1
    monkeypatch.setattr(parts, "PART_CACHE_BYTES", cache_bytes)
    kept: list[int] = []
    remember = parts.remember_part

    def counting(cache, *args) -> None:
        remember(cache, *args)
        kept.append(len(cache))

    monkeypatch.setattr(parts, "remember_part", counting)
    out = tmp_path / "c"
    sweep(load_experiment(path), out, workers=1, progress=False)
    assert kept and (max(kept) == 0) == (cache_bytes == 0)
    assert cache_bytes == 0 or 0 < max(kept) < len(kept)  # some parts kept, not all
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (out / name).read_bytes(), name


def _part_files(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Runs of every part written to disk during the test (recorded as written)."""
    from simulation.experiments import parts

    written: list[list[int]] = []
    write = parts.write_part

    def recording(folder: Path, runs: list[int], *tables: pa.Table) -> None:
        write(folder, runs, *tables)
        written.append(list(runs))

    monkeypatch.setattr(parts, "write_part", recording)
    return written


@pytest.mark.parametrize("workers", [1, 2])
def test_automatic_batches_share_parts_and_keep_the_bytes(
    tiny_w1: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Without ``batch = N`` finished tasks are written together once ``PART_SECONDS`` have
    passed, and the last ones go to consolidation without a part; with 0 s each task is a
    part as before. The files are the same bytes either way."""
    from simulation.experiments import parts

    path, out1 = tiny_w1
    auto = tmp_path / "auto.toml"
    auto.write_text(path.read_text(encoding="utf-8").replace("batch = 2\n", ""), encoding="utf-8")
    for seconds in (0.0, 3600.0):
        monkeypatch.setattr(parts, "PART_SECONDS", seconds)
        written = _part_files(monkeypatch)
        out = tmp_path / f"w{workers}-{seconds}"
        sweep(load_experiment(auto), out, workers=workers, progress=False)
        if seconds:
            assert written == []  # all 12 runs consolidated from memory
        else:
            assert len(written) > 1 and sorted(r for runs in written for r in runs) == list(range(12))
        for name in ("kpis.parquet", "timeseries.parquet"):
            assert (out1 / name).read_bytes() == (out / name).read_bytes(), (seconds, name)


def test_pending_parts_join_contiguous_tasks_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulation.experiments import parts
    from simulation.experiments.parts import PartCache, PendingParts, scan_parts
    from simulation.experiments.sweep import run_columns

    exp = load_experiment(write_tiny(tmp_path))
    folder = tmp_path / "parts"
    folder.mkdir()
    cache = PartCache()
    monkeypatch.setattr(parts, "PART_SECONDS", 3600.0)
    pending = PendingParts(exp, folder, cache, shared=True)
    for runs in ([6, 7], [0, 1], [2, 3], [9]):  # as tasks may finish on several workers
        pending.add(runs, *run_columns(exp, runs))
    assert list(folder.iterdir()) == []
    pending.flush()
    stems = sorted(p.name for p in folder.glob("*.kpis.parquet"))
    assert stems == [f"part-{a:09d}-{b:09d}.kpis.parquet" for a, b in ((0, 3), (6, 7), (9, 9))]
    pending.add([4, 5], *run_columns(exp, [4, 5]))
    pending.keep()  # held in memory only: scanned with the cache, not without it
    assert [(a, b) for a, b, _ in scan_parts(folder, cache)[0]] == [(0, 3), (4, 5), (6, 7), (9, 9)]
    assert scan_parts(folder)[1] == {0, 1, 2, 3, 6, 7, 9}


def test_interrupted_sweep_writes_its_finished_runs(
    tiny_w1: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs held back for a shared part are written when the sweep is interrupted (Ctrl-C),
    so ``--resume`` does not run them again, and finishes with the same bytes."""
    from simulation.experiments import parts, sweep as sweep_module

    path, out1 = tiny_w1
    auto = tmp_path / "auto.toml"
    auto.write_text(path.read_text(encoding="utf-8").replace("batch = 2\n", ""), encoding="utf-8")
    exp = load_experiment(auto)
    monkeypatch.setattr(parts, "PART_SECONDS", 3600.0)
    real = sweep_module.run_columns
    calls = []

    def interrupted(exp_: object, runs: list[int]) -> object:
        calls.append(runs)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(exp_, runs)

    monkeypatch.setattr(sweep_module, "run_columns", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        sweep(exp, out, workers=1, progress=False)
    kept = set().union(*(set(r) for r in calls[:2]))
    assert scan_parts_runs(out) == kept and len(kept) >= 2
    monkeypatch.setattr(sweep_module, "run_columns", real)
    rerun = _part_files(monkeypatch)
    res = sweep(exp, out, workers=1, resume=True, progress=False)
    assert res.ran == 12 - len(kept) and rerun == []
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (out / name).read_bytes(), name


def scan_parts_runs(out: Path) -> set[int]:
    from simulation.experiments.parts import scan_parts

    return scan_parts(out / "parts")[1]


def test_bad_start_method_is_rejected_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv(START_ENV, "teleport")
    with pytest.raises(ScenarioError, match=rf"{START_ENV}='teleport'.*allowed: .*spawn"):
        start_method()
    out = tmp_path / "never"
    path = write_tiny(tmp_path)
    assert main(["sweep", str(path), "--workers", "2", "--out", str(out)]) == 2
    assert START_ENV in capsys.readouterr().err
    assert not out.exists()  # refused before anything is written
    monkeypatch.delenv(START_ENV)
    assert start_method() in ("fork", "spawn")


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        (pa.int64(), [3, None, -(2**62), 0]),
        (pa.float64(), [0.1, None, float("nan"), -1e308, 2]),
        (pa.bool_(), [True, None, False, True, True, False, None, True, False]),
        (pa.string(), ["a", None, "", "ééé", "integration"]),
        (pa.float64(), [1.5, 2.5]),
        (pa.string(), []),
    ],
)
def test_column_array_equals_pyarrow_conversion(type_: pa.DataType, values: list, tmp_path: Path) -> None:
    """The pandas-free conversion gives the array pyarrow's own conversion gives."""
    got, want = column_array(values, type_), pa.array(values, type_)
    assert repr(got.to_pylist()) == repr(want.to_pylist())  # repr: nan equals nan
    assert got.null_count == want.null_count
    files = []
    for name, arr in (("got", got), ("want", want)):
        pq.write_table(pa.table({"c": arr}), tmp_path / name)
        files.append((tmp_path / name).read_bytes())
    assert files[0] == files[1]


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_bytes(tiny_w1: tuple[Path, Path], tmp_path: Path) -> None:
    path, out1 = tiny_w1
    out = tmp_path / "dask"
    res = sweep(load_experiment(path), out, workers=2, cluster="local", progress=False)
    assert res.failures == 0
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (out1 / name).read_bytes() == (out / name).read_bytes(), name


def test_dask_setup_imports_the_model_and_stops_only_the_profiler() -> None:
    class Callback:
        def __init__(self) -> None:
            self.stopped = False

        def stop(self) -> None:
            self.stopped = True

    callbacks = {name: Callback() for name in (*DASK_PROFILER, "heartbeat")}
    profiler = [callbacks[name] for name in DASK_PROFILER]
    worker = type("Worker", (), {"periodic_callbacks": callbacks})()
    dask_setup(worker)
    assert sorted(callbacks) == ["heartbeat"] and not callbacks["heartbeat"].stopped
    assert all(cb.stopped for cb in profiler)
    code = (  # a fresh interpreter: the hook itself must import the model
        "import sys; from simulation.experiments.sweep import dask_setup; "
        "before = 'simulation.runs.runner' in sys.modules; dask_setup(); "
        "print(before, 'simulation.runs.runner' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_local_dask_cluster_counts_its_workers_and_has_no_profiler() -> None:
    """``--cluster local``: workers preload this package (no profiler); the sweep sizes its
    tasks by the cluster's worker threads."""
    dask = _executor_dask("local", 2)
    try:
        assert dask.slots() == 2
        names = dask.client.run(lambda dask_worker: sorted(dask_worker.periodic_callbacks))
        assert len(names) == 2
        for found in names.values():
            assert "heartbeat" in found and not set(DASK_PROFILER) & set(found)
        # A worker that joins later is counted when the slots are read again (after 1 s).
        dask.client.cluster.scale(3)
        dask.client.wait_for_workers(3, timeout=60)
        time.sleep(1.1)
        assert dask.slots() == 3
    finally:
        dask.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, deadline: float) -> None:
    import socket

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Dask scheduler exited early (status {proc.returncode})")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the Dask scheduler did not listen on port {port} in time")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_existing_dask_scheduler_gives_identical_bytes(tiny_w1: tuple[Path, Path], tmp_path: Path) -> None:
    """`--cluster ADDRESS`: a scheduler and two worker processes started separately, in
    another working directory (as on a cluster, here on loopback), give the same bytes as
    one local worker, although the experiment's base scenario, a user file given by a
    relative path, is deleted before the sweep: the resolved configuration travels inside
    the tasks, workers read no files."""
    _, out1 = tiny_w1
    user = tmp_path / "user"
    user.mkdir()
    (user / "base.toml").write_text(
        (ROOT / "scenarios" / "municipality_building_housing.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    text = TINY.replace('base = "municipality_building_housing"', 'base = "base.toml"')
    exp = load_experiment(write_tiny(user, text=text))
    (user / "base.toml").unlink()
    (user / "tiny.toml").unlink()

    elsewhere = tmp_path / "workers"
    elsewhere.mkdir()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": elsewhere}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
            + ["--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        _wait_for_port(port, procs[0], time.monotonic() + 60)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address]
                + ["--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                **quiet,
            )
        )
        out = tmp_path / "addr"
        res = sweep(exp, out, workers=2, cluster=address, progress=False)
        assert res.failures == 0
        # Workers that had not joined when the sweep connected still count as --workers.
        assert json.loads((out / "manifest.json").read_text())["execution"]["workers"] == 2
        for name in ("kpis.parquet", "timeseries.parquet"):
            assert (out1 / name).read_bytes() == (out / name).read_bytes(), name
    finally:
        _stop(procs)


def test_experiment_needs_no_files_once_loaded(tmp_path: Path) -> None:
    """What a worker gets (the pickled experiment) holds the resolved base scenario."""
    import pickle

    (tmp_path / "base.toml").write_text("[citizens]\ncount = 321\n", encoding="utf-8")
    text = TINY.replace('base = "municipality_building_housing"', 'base = "base.toml"')
    exp = load_experiment(write_tiny(tmp_path, text=text))
    fingerprint = exp.fingerprint()
    (tmp_path / "base.toml").unlink()
    copy = pickle.loads(pickle.dumps(exp))
    assert copy.base_config().citizens.count == 300  # [fixed] over the base's 321
    assert copy.base_data["citizens"]["count"] == 321
    assert copy.fingerprint() == fingerprint


def _cli(*args: str, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "simulation.cli", *args]


def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    text = TINY.replace("replications = 3", "replications = 12")
    path = write_tiny(tmp_path, months=60, text=text)  # 48 runs, 24 parts of 2
    ref = tmp_path / "ref"
    sweep(load_experiment(path), ref, workers=1, progress=False)

    out = tmp_path / "killed"
    env = {**os.environ, "EGOV_SIM_NO_PROGRESS": "1"}
    proc = subprocess.Popen(
        _cli("sweep", str(path), "--workers", "1", "--out", str(out)),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        parts = list((out / "parts").glob("*.kpis.parquet")) if (out / "parts").exists() else []
        if len(parts) >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "parts").glob("*.kpis.parquet")))
    assert 3 <= done < 24, f"kill came too late ({done} of 24 parts)"
    assert not (out / "kpis.parquet").exists() and not (out / "manifest.json").exists()

    # Without --resume the folder is refused; with it the sweep finishes.
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 2
    assert main(["sweep", str(path), "--workers", "2", "--out", str(out), "--resume"]) == 0
    for name in ("kpis.parquet", "timeseries.parquet"):
        assert (ref / name).read_bytes() == (out / name).read_bytes(), name


def test_failed_runs_are_recorded_and_sweep_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    text = TINY.replace(
        'service.model = ["integration", "fragmentation"]\nrollout.strategy = ["big_bang", "phased"]',
        "citizens.count = [10, 300]\ncitizens.degree = [8, 12]",
    ).replace("[fixed]\ncitizens.count = 300\n", "")
    path = write_tiny(tmp_path, text=text)
    monkeypatch.setenv(FAIL_ENV, "1,10")  # documented test hook of the sweep worker
    monkeypatch.setenv("EGOV_SIM_NO_PROGRESS", "1")
    out = tmp_path / "out"
    rc = main(["sweep", str(path), "--workers", "1", "--out", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert len(kpis) == 12 and kpis["run"].tolist() == list(range(12))
    failed = kpis[kpis["error"].notna()]
    # Injected: runs 1 and 10. Genuine: degree 12 with 10 citizens (point 1: runs 3..5) is invalid.
    assert sorted(failed["run"]) == [1, 3, 4, 5, 10]
    assert failed.set_index("run").loc[4, "error"].startswith("ScenarioError")
    assert "degree (12) must be smaller than count (10)" in failed.set_index("run").loc[4, "error"]
    assert failed["final_adoption"].isna().all()
    assert kpis.loc[kpis["error"].isna(), "final_adoption"].notna().all()
    assert "5 of 12 runs failed" in err and "citizens.degree=12" in err
    assert "injected failure of run 1" in err


# ---------------------------------------------------------------------- analysis
def test_analyse_factorial_writes_report_and_figures(tiny_w1: tuple[Path, Path]) -> None:
    _, out = tiny_w1
    assert main(["analyse", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    for stem in ("adoption", "series", "scorecards", "heatmaps"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 1000
        assert (out / "figures" / f"{stem}.svg").exists()
        assert f"figures/{stem}.png" in report
    assert "Pairwise comparisons" in report and "Main and interaction effects" in report
    summary = pd.read_csv(out / "summary.csv")
    kpis = pd.read_parquet(out / "kpis.parquet")
    got = summary[(summary.kpi == "final_adoption")].set_index("point")["mean"]
    want = kpis.groupby("point")["final_adoption"].mean()
    assert np.allclose(got.sort_index().to_numpy(), want.sort_index().to_numpy())
    eff = pd.read_csv(out / "effects.csv")
    assert {"service.model", "rollout.strategy", "service.model x rollout.strategy"} <= set(eff["term"])
    # Analysing twice gives the same figure bytes (no timestamps).
    first = (out / "figures" / "adoption.png").read_bytes()
    main(["analyse", str(out)])
    assert (out / "figures" / "adoption.png").read_bytes() == first


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_sensitivity_designs_sweep_and_analyse(tmp_path: Path, design: str) -> None:
    samples = 8 if design == "sobol" else 6
    path = tmp_path / f"{design}.toml"
    path.write_text(
        f"[experiment]\nbase = 'municipality_building_housing'\ndesign = '{design}'\nsamples = {samples}\n"
        "replications = 1\nmonths = 36\nseed = 1\n[fixed]\ncitizens.count = 200\n"
        "[factors]\ncitizens.q = {min = 0.02, max = 0.3}\ncitizens.p = {min = 0.001, max = 0.05}\n"
        "service.model = ['integration', 'fragmentation']\n"
        "[outputs]\nkpis = ['final_adoption', 'total_cost']\ntimeseries = ['adoption']\n",
        encoding="utf-8",
    )
    exp = load_experiment(path)
    n = make_design(exp).points
    assert n == (samples * 5 if design == "sobol" else samples * 4)
    out = tmp_path / "out"
    assert sweep(exp, out, workers=1, progress=False).failures == 0
    assert main(["analyse", str(out)]) == 0
    sens = pd.read_csv(out / "sensitivity.csv")
    kinds = {"sobol": {"S1", "ST"}, "morris": {"mu_star", "sigma"}}[design]
    assert kinds <= set(sens["index"])
    assert set(sens["factor"]) == {"citizens.q", "citizens.p", "service.model"}
    assert (out / "figures" / "sensitivity.png").exists()
    assert "Sensitivity indices" in (out / "report.md").read_text(encoding="utf-8")


def test_analyse_rejects_folder_without_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["analyse", str(tmp_path)]) == 2
    assert "not a finished sweep folder" in capsys.readouterr().err


def test_parquet_row_groups_do_not_depend_on_batching(tiny_w1: tuple[Path, Path], tmp_path: Path) -> None:
    path, out1 = tiny_w1
    text = path.read_text(encoding="utf-8").replace("batch = 2", "batch = 5")
    other = tmp_path / "tiny.toml"
    other.write_text(text, encoding="utf-8")
    out = tmp_path / "b5"
    sweep(load_experiment(other), out, workers=1, progress=False)
    assert (out1 / "kpis.parquet").read_bytes() == (out / "kpis.parquet").read_bytes()
    assert pq.ParquetFile(out / "kpis.parquet").metadata.num_row_groups == 1


def test_consolidation_joins_small_tables_without_changing_a_byte(tmp_path: Path, monkeypatch) -> None:
    """Row groups are filled from many small parts: joining them every COMPACT_EVERY parts
    keeps the buffer to a few tables and the written file byte for byte the same."""
    from simulation.experiments import parts

    schema = pa.schema([("run", pa.int64()), ("value", pa.float64())])
    tables = [
        pa.table({"run": [i, i + 1], "value": [i * 0.5, i * 0.25]}, schema=schema) for i in range(0, 200, 2)
    ]

    def write(name: str, every: int) -> tuple[bytes, int]:
        monkeypatch.setattr(parts, "COMPACT_EVERY", every)
        groups = parts._FixedGroups(tmp_path / name, schema, row_group=64)
        longest = 0
        for t in tables:
            groups.add(t)
            longest = max(longest, len(groups.buffer))
        groups.close()
        return (tmp_path / name).read_bytes(), longest

    joined, joined_len = write("joined.parquet", 4)
    apart, apart_len = write("apart.parquet", 10**9)
    assert joined == apart
    # A group of 64 rows is 32 tables of 2 rows: kept apart, all 32 wait in the buffer;
    # joined every 4, at most 8 joined tables and 3 new ones do.
    assert apart_len == 32
    assert joined_len <= 11
    assert pq.read_table(tmp_path / "joined.parquet").column("run").to_pylist() == list(range(200))
