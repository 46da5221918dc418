"""Scenario discovery (PRIM, EMA Workbench) on sweep folders: ``egov-sim discover``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.discover import case_condition, prepare_inputs, run_prim


def synthetic(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Cases exactly where a > 0.6 and the integer b < 3 (pandas int64), c irrelevant."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "a": rng.random(n),
            "b": rng.integers(0, 6, n),  # int64: PRIM needs it cast to float
            "c": rng.choice(["big_bang", "phased"], n),
        }
    )
    y = ((x["a"] > 0.6) & (x["b"] < 3)).to_numpy()
    return x, y


def test_prepare_inputs_casts_integers_to_float_and_labels_to_categories() -> None:
    x = pd.DataFrame({"i": [1, 2, 3], "f": [0.1, 0.2, 0.3], "s": ["u", "v", "u"], "b": [True, False, True]})
    p = prepare_inputs(x)
    assert p["i"].dtype == np.float64 and p["f"].dtype == np.float64
    assert isinstance(p["s"].dtype, pd.CategoricalDtype) and isinstance(p["b"].dtype, pd.CategoricalDtype)


def test_prim_recovers_a_known_box() -> None:
    x, y = synthetic()
    (box, *_) = run_prim(x, y, boxes=1, min_density=0.9)
    # Criterion: the planted box (a > 0.6, b <= 2) is found with high coverage and density,
    # and the irrelevant categorical input c is not restricted.
    assert box.density >= 0.9 and box.coverage >= 0.85
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.05)
    assert box.limits["b"][1] < 3
    assert 0 < box.mass < 0.35
    traj = box.trajectory
    assert traj["coverage"].iloc[0] == 1.0 and traj["density"].iloc[0] == pytest.approx(y.mean())
    assert (np.diff(traj["mass"].to_numpy()) <= 0).all()  # peeling only shrinks the box


def test_prim_without_cases_gives_no_box() -> None:
    x, _ = synthetic(100)
    assert run_prim(x, np.zeros(100, dtype=bool)) == []


def fake_sweep(folder: Path, n: int = 400, seed: int = 5) -> Path:
    """A sweep folder whose runs collapse when resistance > 0.45 under big-bang rollout."""
    rng = np.random.default_rng(seed)
    res = rng.uniform(0.05, 0.65, n)
    rollout = rng.choice(["big_bang", "phased"], n)
    collapsed = (res > 0.45) & (rollout == "big_bang")
    frame = pd.DataFrame(
        {
            "run": np.arange(n),
            "point": np.arange(n),
            "replication": np.zeros(n, dtype=int),
            "seed": np.ones(n, dtype=int),
            "parties.groups.resistance": res,
            "rollout.strategy": rollout,
            "final_adoption": np.where(collapsed, 0.1, 0.8) + rng.normal(0, 0.02, n),
            "months_to_first_service": np.where(collapsed, np.nan, 30.0),
            "collapsed": collapsed,
            "error": pd.Series([None] * (n - 1) + ["RuntimeError: boom"], dtype=object),
        }
    )
    folder.mkdir(parents=True)
    frame.to_parquet(folder / "kpis.parquet")
    exp = {
        "name": "fake",
        "design": "lhs",
        "months": 120,
        "factors": [
            {
                "name": "parties.groups.resistance",
                "kind": "range",
                "dtype": "float",
                "low": 0.05,
                "high": 0.65,
            },
            {"name": "rollout.strategy", "kind": "levels", "dtype": "str", "levels": ["big_bang", "phased"]},
        ],
    }
    (folder / "manifest.json").write_text(json.dumps({"experiment": exp}), encoding="utf-8")
    return folder


def test_discover_cli_finds_the_collapse_box_and_writes_report(tmp_path: Path) -> None:
    folder = fake_sweep(tmp_path / "sweep")
    assert main(["discover", str(folder), "--kpi", "collapsed", "--boxes", "1", "--min-density", "0.95"]) == 0
    boxes = pd.read_csv(folder / "boxes.csv")
    assert set(boxes["input"]) == {"parties.groups.resistance", "rollout.strategy"}
    row = boxes.set_index("input").loc["parties.groups.resistance"]
    assert row["low"] == pytest.approx(0.45, abs=0.04) and row["density"] >= 0.9 and row["coverage"] >= 0.8
    assert boxes.set_index("input").loc["rollout.strategy", "levels"] == "big_bang"
    peel = pd.read_csv(folder / "peeling.csv")
    assert peel["chosen"].sum() == 1 and {"coverage", "density", "mass"} <= set(peel.columns)
    text = (folder / "discovery.md").read_text(encoding="utf-8")
    assert "collapsed = true" in text and "coverage" in text and "1 failed runs left out" in text
    for stem in ("discover_tradeoff", "discover_boxes"):
        assert (folder / "figures" / f"{stem}.png").stat().st_size > 5000


def test_discover_numeric_threshold_and_out_folder(tmp_path: Path) -> None:
    folder = fake_sweep(tmp_path / "sweep")
    out = tmp_path / "disc"
    assert (
        main(["discover", str(folder), "--kpi", "final_adoption", "--below", "0.5", "--out", str(out)]) == 0
    )
    assert (out / "discovery.md").exists() and not (folder / "discovery.md").exists()
    assert "final_adoption < 0.5" in (out / "discovery.md").read_text(encoding="utf-8")


def test_case_condition_counts_never_reached_as_months_plus_one() -> None:
    frame = pd.DataFrame({"months_to_first_service": [10.0, np.nan, 50.0]})
    y, text = case_condition(frame, "months_to_first_service", below=None, above=100, false=False, months=120)
    assert y.tolist() == [False, True, False] and "months + 1" in text


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--kpi", "colapsed"], "unknown KPI (allowed: final_adoption"),
        (["--kpi", "collapsed", "--below", "0.5"], "boolean KPI"),
        (["--kpi", "final_adoption"], "give exactly one of --below X or --above X"),
        (["--kpi", "final_adoption", "--below", "0.5", "--false"], "only for boolean KPIs"),
        (["--kpi", "collapsed", "--inputs", "trust.initial"], "not a factor of this sweep"),
        (["--kpi", "collapsed", "--min-density", "0"], "--min-density"),
    ],
)
def test_discover_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], needle: str
) -> None:
    folder = fake_sweep(tmp_path / "sweep")
    before = sorted(p.name for p in folder.iterdir())
    assert main(["discover", str(folder), *args]) == 2
    assert needle in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == before


def test_discover_rejects_a_folder_without_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["discover", str(tmp_path), "--kpi", "collapsed"]) == 2
    assert "not a finished sweep folder" in capsys.readouterr().err


def test_discover_on_a_real_sweep(tmp_path: Path) -> None:
    """End to end on a real (tiny) sweep: resistance x rollout, cases = low adoption."""
    exp = tmp_path / "e.toml"
    exp.write_text(
        """# tiny lhs
[experiment]
base = "municipality_building_housing"
design = "lhs"
samples = 24
replications = 1
months = 48
seed = 3
[fixed]
citizens.count = 300
[factors]
parties.groups.resistance = { min = 0.05, max = 0.65 }
rollout.wave_size = { min = 1, max = 6 }
rollout.strategy = ["big_bang", "phased"]
[outputs]
timeseries = ["adoption"]
""",
        encoding="utf-8",
    )
    out = tmp_path / "sweep"
    assert main(["sweep", str(exp), "--workers", "1", "--out", str(out)]) == 0
    adoption = pd.read_parquet(out / "kpis.parquet")["final_adoption"]
    cut = float(adoption.median())
    assert main(["discover", str(out), "--kpi", "final_adoption", "--below", str(cut)]) == 0
    text = (out / "discovery.md").read_text(encoding="utf-8")
    assert "## Boxes" in text and "coverage" in text
    assert (out / "boxes.csv").exists()
