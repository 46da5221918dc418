"""The ``egov-sim`` command: scenarios, run (every shipped scenario), --set, compare."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FRACTION_COLUMNS, SHIPPED, cli, cli_many, refused_for_memory

from simulation.config import RELATIONS
from simulation.io.scenario_io import describe, shipped_scenarios
from simulation.outputs.kpis import KPI_INFO
from simulation.outputs.scorecard import COLUMNS as SCORECARD_COLUMNS, PERSPECTIVES

STEPS = 24
TS_COLUMNS = [
    "step",
    "adoption",
    "service_quality",
    "integration",
    "mean_trust",
    "mean_resistance",
    "legitimacy",
    "cumulative_cost",
]


def check_png(path: Path) -> tuple[int, int]:
    """A valid PNG: signature, IHDR first with CRC, IEND last; returns (width, height)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    width, height = struct.unpack(">II", body[:8])
    assert width > 200 and height > 200
    return width, height


def test_the_scenarios_are_shipped() -> None:
    assert set(SHIPPED) == {
        "municipality_building_housing",
        "vehicle_registration",
        "business_counter",
        "province_spatial_planning",
        "water_board",
    }


def test_scenarios_lists_every_shipped_scenario_with_its_description() -> None:
    proc = cli("scenarios")
    assert proc.returncode == 0, proc.stderr
    for name, path in shipped_scenarios().items():
        text = describe(path)
        assert len(text) > 20, name
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(name))
        assert text in line


@pytest.fixture(scope="module")
def shipped_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    calls = [["run", name, "--steps", str(STEPS), "--out", root / name] for name in SHIPPED]
    procs = cli_many(calls)
    return {name: (proc, root / name) for name, proc in zip(SHIPPED, procs, strict=True)}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_runs_and_writes_its_files(shipped_runs, name: str) -> None:
    proc, out = shipped_runs[name]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["timeseries.csv", "kpis.json", "scorecard.csv", "events.csv", "manifest.json", "adoption.png"]
    )
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no temp dirs

    ts = pd.read_csv(out / "timeseries.csv")
    assert set(TS_COLUMNS) <= set(ts.columns)
    assert list(ts["step"]) == list(range(STEPS + 1))  # one row per month, month 0 included
    for col in FRACTION_COLUMNS:
        if col in ts:
            assert ts[col].between(0.0, 1.0).all(), col
    assert (np.diff(ts["cumulative_cost"]) >= 0).all()

    kpis = json.loads((out / "kpis.json").read_text())
    for key in ("final_adoption", "months_to_50pct_adoption", "total_cost", "failures", "stalled"):
        assert key in kpis
    assert kpis["final_adoption"] == pytest.approx(ts["adoption"].iloc[-1])
    assert kpis["total_cost"] == pytest.approx(ts["cumulative_cost"].iloc[-1])
    assert kpis["months_to_50pct_adoption"] is None or isinstance(kpis["months_to_50pct_adoption"], int)
    assert isinstance(kpis["stalled"], bool)

    score = pd.read_csv(out / "scorecard.csv")
    assert list(score.columns) == list(SCORECARD_COLUMNS)
    assert list(dict.fromkeys(score["perspective"])) == list(PERSPECTIVES)
    assert list(score["relation"][:4]) == list(RELATIONS)
    values = score["value"].to_numpy(float)
    assert np.isfinite(values[~np.isnan(values)]).all() and (~np.isnan(values)).sum() >= 10

    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("parameters", "seed", "versions", "wall_time_s"):
        assert key in manifest
    assert manifest["parameters"]["run"]["months"] == STEPS
    assert manifest["seed"] == manifest["parameters"]["run"]["seed"]
    assert {"mesa", "numpy", "python"} <= set(manifest["versions"])
    assert manifest["wall_time_s"] > 0

    check_png(out / "adoption.png")
    # The summary table is printed, and the scorecard with unit and direction per cell.
    assert "final_adoption" in proc.stdout and "total_cost" in proc.stdout
    assert "Scorecard" in proc.stdout
    for r in score.to_dict("records"):
        line = next(
            ln
            for ln in proc.stdout.splitlines()
            if ln.startswith(f"{r['perspective'].replace('_', ' ')} / {r['relation']} ")
        )
        assert f" {r['unit']} " in line and ("↑" if r["direction"].startswith("higher") else "↓") in line


def test_set_overrides_parameters(tmp_path) -> None:
    out = tmp_path / "o"
    proc = cli(
        "run",
        "water_board",
        "--steps",
        "12",
        "--seed",
        "9",
        "--set",
        "citizens.count=300",
        "--set",
        "rollout.strategy=big_bang",
        "--set",
        "service.model=fragmentation",
        "--out",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    params = json.loads((out / "manifest.json").read_text())["parameters"]
    assert params["citizens"]["count"] == 300
    assert params["rollout"]["strategy"] == "big_bang"
    assert params["service"]["model"] == "fragmentation"
    assert params["run"]["seed"] == 9
    ts = pd.read_csv(out / "timeseries.csv")
    assert ts["negotiating"].iloc[0] == 1.0  # big-bang: everybody at the table in month 0
    assert len(ts) == 13


@pytest.mark.parametrize(
    ("setting", "expect"),
    [
        ("citizens.cont=300", ["citizens.cont", "unknown parameter", "did you mean 'citizens.count'"]),
        ("rollout.strategy=gradual", ["[rollout] strategy", "'big_bang'", "'phased'"]),
        ("citizens.count=5", ["[citizens] count", "≥ 10"]),
        ("citizens.count", ["expected section.key=value"]),
    ],
)
def test_bad_set_is_refused_with_a_suggestion(tmp_path, setting: str, expect: list[str]) -> None:
    out = tmp_path / "o"
    proc = cli("run", "water_board", "--steps", "3", "--set", setting, "--out", out)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    for text in expect:
        assert text in proc.stderr, (text, proc.stderr)
    assert not out.exists()


def test_unknown_scenario_name_suggests_a_shipped_one(tmp_path) -> None:
    proc = cli("run", "water_bord", "--out", tmp_path / "o")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "water_board" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_run_without_out_writes_a_timestamped_folder_under_results(tmp_path) -> None:
    proc = cli("run", "vehicle_registration", "--steps", "3", "--set", "citizens.count=200", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folders = list((tmp_path / "results").iterdir())
    assert len(folders) == 1
    assert re.fullmatch(r"\d{8}-\d{6}-vehicle_registration", folders[0].name)
    assert (folders[0] / "timeseries.csv").exists()


def test_compare_prints_differences_with_confidence_intervals(tmp_path) -> None:
    out = tmp_path / "cmp"
    proc = cli("compare", "--replications", "2", "--citizens", "500", "--out", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(ln for ln in lines if ln.startswith("kpi"))
    assert "95 % CI" in header and "B - A" in header
    for kpi in ("final_adoption", "total_cost", "failures", "months_to_50pct_adoption"):
        row = next((ln for ln in lines if ln.startswith(kpi + " ")), None)
        assert row is not None, kpi
    table = pd.read_csv(out / "comparison.csv")
    assert set(KPI_INFO) == set(table["kpi"])
    numeric = table.dropna(subset=["difference", "ci_low", "ci_high"])
    assert len(numeric) > 10
    assert (numeric["ci_low"] <= numeric["difference"] + 1e-12).all()
    assert (numeric["difference"] <= numeric["ci_high"] + 1e-12).all()
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == 4  # 2 scenarios x 2 replications
    # Common random numbers: both scenarios use the same seed in each replication.
    seeds = reps.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all()
    check_png(out / "adoption_compare.png")
    check_png(out / "compare_series.png")
    check_png(out / "scorecard_compare.png")
    # Pairs and runs that reached are shown; with 2 pairs there is no interval among reached.
    assert "pairs" in header
    row = next(ln for ln in lines if ln.startswith("months_to_50pct_adoption "))
    assert "(reached " in row
    assert any("too few reached" in ln or "over " in ln for ln in lines if "months_to_50pct" in ln)
    # The scorecard: A, B, B - A with CI, direction and verdict per cell.
    start = lines.index(next(ln for ln in lines if ln.startswith("Scorecard")))
    assert lines[start + 1].split()[:8] == ["cell", "unit", "better", "A", "B", "B", "-", "A"]
    sc = pd.read_csv(out / "scorecard_comparison.csv")
    assert len(sc) == 20 and set(sc["verdict"]) <= {
        "B better",
        "B worse",
        "no clear difference",
        "not applicable",
    }
    applicable = sc.dropna(subset=["difference"])
    assert len(applicable) >= 10
    assert (applicable["ci_low"] <= applicable["difference"] + 1e-12).all()


def test_non_positive_steps_are_refused() -> None:
    proc = cli("run", "water_board", "--steps", "0")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "steps" in proc.stderr or "months" in proc.stderr


@pytest.mark.parametrize(("count", "expect"), [("5", "≥ 10"), ("50000000", "GiB")])
def test_compare_citizens_is_validated_like_the_scenario_key(tmp_path, count: str, expect: str) -> None:
    """--citizens must not bypass the range and memory checks of [citizens] count."""
    if expect == "GiB" and not refused_for_memory(int(count)):
        pytest.skip("this machine has memory for the schema's largest population (not so at 24 GiB)")
    out = tmp_path / "cmp"
    proc = cli("compare", "--replications", "2", "--citizens", count, "--out", out)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "[citizens] count" in proc.stderr and expect in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_command_line_starts_without_importing_mesa():
    """Building the parser (all sub-commands, plug-ins included) must not import Mesa,
    pandas or matplotlib: `egov-sim validate` and every error message stay fast."""
    code = (
        "import sys, simulation.cli as c; c.build_parser(); "
        "print(sorted(m for m in ('mesa', 'pandas', 'matplotlib', 'dask', 'solara') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_run_starts_the_plotting_process_first_and_stops_it_when_the_run_fails(tmp_path, monkeypatch) -> None:
    """`run --figure matplotlib` starts its plotting helper before importing anything heavy
    (start-up); a run refused by validation stops the helper instead of leaving it importing
    matplotlib, and neither --help, other commands nor the default quick figure start one."""
    from simulation.cli import main
    from simulation.outputs import plot_process

    started: list[plot_process.Plotter] = []

    class Recording(plot_process.Plotter):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    monkeypatch.setattr(plot_process, "Plotter", Recording)
    mpl = ["--figure", "matplotlib"]
    assert main(["run", "water_board", *mpl, "--set", "citizens.count=5", "--out", str(tmp_path / "o")]) == 2
    assert len(started) == 1 and started[0].proc.returncode is not None and not started[0].used
    with pytest.raises(SystemExit):
        main(["run", "--help", *mpl])
    assert main(["validate", "water_board"]) == 0
    small = ["--steps", "2", "--citizens", "200"]
    assert main(["run", "water_board", *small, "--out", str(tmp_path / "quick")]) == 0
    assert len(started) == 1 and (tmp_path / "quick" / "adoption.png").is_file()
    assert main(["run", "water_board", "--figure=matplotlib", *small, "--out", str(tmp_path / "ok")]) == 0
    assert len(started) == 2 and started[1].used and (tmp_path / "ok" / "adoption.png").is_file()
    # A successful run reaps its helper too: no process is left behind.
    assert started[1].proc.returncode == 0


def test_quick_figure_draws_every_series_in_its_colour(tmp_path) -> None:
    """The in-process figure (lineplot.py) puts each series where its values say: the
    adoption curve's blue at the pixel rows of its values, and a flat series as one row."""
    import numpy as np
    from PIL import Image

    from simulation.outputs import lineplot

    months = np.arange(121.0)
    adoption = np.clip((months - 20) / 80, 0, 1)
    zeros = np.zeros_like(months)
    ts = {"step": months, "adoption": adoption, "cumulative_cost": months * 0.1}
    for col in ("service_quality", "integration", "links", "mean_trust", "mean_resistance", "legitimacy"):
        ts[col] = zeros + 0.5
    out = tmp_path / "f.png"
    lineplot.draw_run(ts, "test", out)
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert img.shape == (lineplot.HEIGHT, lineplot.WIDTH, 3)
    blue = np.array([0x1F, 0x77, 0xB4])
    mask = np.abs(img - blue).sum(2) < 40
    top_half = mask[: lineplot.HEIGHT // 2]
    cols = np.flatnonzero(top_half.any(0))
    # Legend sample aside, blue spans from the left axis to the right one.
    assert cols.max() - cols.min() > 0.7 * lineplot.WIDTH
    rows = np.flatnonzero(top_half[:, cols.max() - 2])
    # At the right edge adoption is 1.0: its row is near the top of the upper panel.
    assert rows.mean() < 0.2 * lineplot.HEIGHT


def test_nice_ticks_are_round_and_inside() -> None:
    from simulation.outputs.lineplot import nice_ticks, tick_label

    ticks = nice_ticks(-13.2, 277.2)
    assert ticks.tolist() == [0, 50, 100, 150, 200, 250]
    assert [tick_label(v, nice_ticks(-0.02, 1.02, 7)) for v in (0, 1)] == ["0.0", "1.0"]
    assert tick_label(0.004, nice_ticks(0, 0.0095)) == "0.004"


def test_run_output_follows_the_umask(tmp_path) -> None:
    """A `egov-sim run` output folder and its files get the modes the umask gives a plain
    mkdir/open (tempfile alone would give 0700/0600)."""
    import os
    import stat

    out = tmp_path / "run"
    code = (
        "import os, sys; os.umask(0o022); from simulation.cli import main; "
        f"sys.exit(main(['run', 'water_board', '--steps', '3', '--citizens', '300', '--out', {str(out)!r}]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o755
    for f in out.iterdir():
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o644, f.name


def test_the_console_script_freezes_the_collector_only_after_main(monkeypatch) -> None:
    """``egov-sim`` is ``cli.entry``: main's exit code, with gc.freeze() after main returns
    or raises (so the interpreter's exit skips its last collections), never before."""
    import gc
    import tomllib

    from simulation import cli as cli_mod

    scripts = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"][
        "scripts"
    ]
    assert scripts["egov-sim"] == "simulation.cli:entry"
    events: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: events.append("freeze"))
    monkeypatch.setattr(cli_mod, "main", lambda: events.append("main") or 3)
    assert cli_mod.entry() == 3
    assert events == ["main", "freeze"]

    def fails() -> int:
        events.append("main")
        raise SystemExit(2)

    events.clear()
    monkeypatch.setattr(cli_mod, "main", fails)
    with pytest.raises(SystemExit):
        cli_mod.entry()
    assert events == ["main", "freeze"]
