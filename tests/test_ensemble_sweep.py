"""Issue 19, point 5: ``sweep --ensemble`` (draws x seeds at every design point, paired) and
``analyse`` on such a folder (pairs by draw and replication; the parameter vs seed split)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.spec import load_experiment, with_ensemble
from simulation.experiments.sweep import sweep
from simulation.runs.priors import shipped_priors

TINY = """\
[experiment]
base = "municipality_building_housing"
design = "factorial"
replications = 2
months = 18
seed = 5
batch = 3

[fixed]
citizens.count = 200

[factors]
service.model = ["integration", "fragmentation"]
trust.initial = [0.3, 0.6]
"""


@pytest.fixture(scope="module")
def ens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("ens")
    path = folder / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    out = folder / "w1"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--ensemble", "prior:3"]) == 0
    return path, out


def test_every_point_runs_every_draw_and_seed(ens: tuple[Path, Path]) -> None:
    _, out = ens
    k = pd.read_parquet(out / "kpis.parquet")
    assert len(k) == 4 * 3 * 2 and k["error"].isna().all()
    assert set(map(tuple, k[["point", "draw", "replication"]].to_numpy())) == {
        (p, d, r) for p in range(4) for d in range(3) for r in range(2)
    }
    # Common random numbers: the seed depends on the replication only.
    assert (k.groupby("replication")["seed"].nunique() == 1).all()
    draws = pd.read_csv(out / "draws.csv")
    assert draws["draw"].tolist() == [0, 1, 2]
    # Draws within the priors.
    priors = {p.name: p for p in shipped_priors()}
    for name in draws.columns.drop("draw"):
        lo, hi = priors[name].low, priors[name].high
        assert draws[name].between(lo, hi).all(), name


def test_factors_and_fixed_keys_are_pinned(ens: tuple[Path, Path]) -> None:
    from simulation.experiments.spec import apply_values
    from simulation.io.scenario_io import validate
    from simulation.runs.ensemble import configure

    path, _ = ens
    exp = with_ensemble(load_experiment(path), "prior:3")
    assert "trust.initial" in exp.draws[0]  # drawn, but a factor here
    pinned = exp.pinned()
    assert {"trust.initial", "service.model", "citizens.count"} <= pinned
    base = validate(apply_values(exp.base_config().model_dump(), {"trust.initial": 0.3}), "t")
    for d in exp.draws:
        cfg = configure(base, d, pinned, "t")
        assert cfg.trust.initial == 0.3 and cfg.citizens.count == 200


def test_draws_change_results_and_are_paired_across_points(ens: tuple[Path, Path]) -> None:
    _, out = ens
    k = pd.read_parquet(out / "kpis.parquet")
    # Different draws, same seed, same point: the parameters matter.
    one = k[(k.point == 0) & (k.replication == 0)]["total_cost"]
    assert one.nunique() > 1


def test_two_workers_identical_bytes(ens: tuple[Path, Path], tmp_path: Path) -> None:
    path, out1 = ens
    out2 = tmp_path / "w2"
    assert main(["sweep", str(path), "--workers", "2", "--out", str(out2), "--ensemble", "prior:3"]) == 0
    for name in ("kpis.parquet", "draws.csv"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name


def test_ensemble_changes_the_fingerprint_and_defaults_equal_plain(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    exp = load_experiment(path)
    assert with_ensemble(exp, "prior:3").fingerprint() != exp.fingerprint()
    assert with_ensemble(exp, "prior:3").fingerprint() != with_ensemble(exp, "prior:4").fingerprint()
    plain = sweep(exp, tmp_path / "plain", workers=1, progress=False)
    same = sweep(with_ensemble(exp, "defaults"), tmp_path / "defaults", workers=1, progress=False)
    assert plain.failures == same.failures == 0
    a = pd.read_parquet(tmp_path / "plain" / "kpis.parquet")
    b = pd.read_parquet(tmp_path / "defaults" / "kpis.parquet")
    assert (b["draw"] == 0).all()
    pd.testing.assert_frame_equal(a, b.drop(columns="draw"))


def test_analyse_reports_the_variance_split(ens: tuple[Path, Path]) -> None:
    _, out = ens
    assert main(["analyse", str(out)]) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Parameter vs seed uncertainty (ensemble)" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert rows
    shares = [tuple(float(x) for x in ln.split("|")[2:4]) for ln in rows]
    assert all(abs(p + s - 1) < 0.011 for p, s in shares), shares
