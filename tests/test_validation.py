"""Validation suite: Bass limit, calibration recovery, pattern experiments (quick)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation.cli import main
from simulation.io.scenario_io import ScenarioError, shipped_scenarios, validate
from simulation.validation import bass_continuous, bass_curve, bass_discrete, calibrate as cal, store
from simulation.validation.cli import merge
from simulation.validation.patterns import REGIONS, SPECS, Context, cells, plan, run_map
from simulation.validation.report import build
from simulation.validation.runs import Job, outcome, run_jobs, scenario
from simulation.validation.stats import mcnemar, paired, share_test
from simulation.validation.verdicts import VERDICTS, combine, verdict

MUNI = "municipality_building_housing"


def test_bass_curve_within_001_of_discrete_map_at_50000():
    p, q, months = 0.004, 0.06, 200
    mean = np.mean([bass_curve(50_000, p, q, months, seed=s) for s in range(3)], axis=0)
    assert mean.shape == (months + 1,)
    assert mean[0] == 0.0 and np.all(np.diff(mean) >= 0)
    assert np.max(np.abs(mean - bass_discrete(p, q, months))) < 0.01


def test_bass_curve_reproducible_and_seed_dependent():
    a = bass_curve(2000, 0.01, 0.2, 60, seed=5)
    assert np.array_equal(a, bass_curve(2000, 0.01, 0.2, 60, seed=5))
    assert not np.array_equal(a, bass_curve(2000, 0.01, 0.2, 60, seed=6))


def test_small_world_lags_the_mean_field_map():
    # Documented behaviour: clustered contacts saturate locally, so imitation is slower.
    sw = bass_curve(20_000, 0.004, 0.06, 120, network="small_world", seed=1)
    disc = bass_discrete(0.004, 0.06, 120)
    assert sw[60] < disc[60] - 0.03


def test_continuous_and_discrete_agree_for_small_rates():
    t = np.arange(401)
    gap = np.max(np.abs(bass_discrete(0.001, 0.01, 400) - bass_continuous(0.001, 0.01, t)))
    assert gap < 0.01
    with pytest.raises(ValueError):
        bass_continuous(0.0, 0.1, t)


def test_calibration_recovers_known_parameters():
    rng = np.random.default_rng(3)
    years = np.arange(1997.0, 2021.0, 2.0)
    true = cal.model_share(years, 0.02, 0.5, 1.0)
    (p, q), _ = cal.fit_bass(years, true + rng.normal(0, 0.005, years.size))
    assert abs(p - 0.02) < 0.004 and abs(q - 0.5) < 0.05
    true_m = cal.model_share(years, 0.01, 0.6, 0.85)
    (p, q, m), _ = cal.fit_bass(years, true_m + rng.normal(0, 0.005, years.size), fit_m=True)
    assert abs(m - 0.85) < 0.03 and abs(q - 0.6) < 0.1


def test_bootstrap_interval_covers_truth_on_synthetic_data():
    rng = np.random.default_rng(4)
    years = np.arange(1997.0, 2021.0, 1.0)
    y = cal.model_share(years, 0.03, 0.4) + rng.normal(0, 0.01, years.size)
    fit = cal.bootstrap(years, y, fit_m=False, n=200, seed=1)
    assert fit.ci["p"][0] <= 0.03 <= fit.ci["p"][1]
    assert fit.ci["q"][0] <= 0.4 <= fit.ci["q"][1]


def test_shipped_series_and_fitted_definition():
    rows = cal.load_series()
    data = cal.fitted_rows(rows)
    assert [r["year"] for r in data] == [2011, 2013, 2019, 2020]
    assert all(r["geo"] == "NL" and r["indicator"] == cal.DEFINITION for r in data)


def test_bad_data_file_gives_clear_error(tmp_path: Path):
    bad = tmp_path / "d.csv"
    bad.write_text("year,geo\n2011,NL\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"d\.csv: missing column"):
        cal.load_series(bad)
    bad.write_text(",".join(cal.COLUMNS) + "\nabc,NL,60,x,y,z,\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="line 2: year must be an integer"):
        cal.load_series(bad)
    with pytest.raises(ScenarioError, match="not found"):
        cal.load_series(tmp_path / "missing.csv")


# ---------------------------------------------------------------- the verdict rule
def test_verdict_rule_on_synthetic_pairs():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 40)
    up = paired(a, a + 1.0 + rng.normal(0, 0.3, 40))  # B clearly above A
    assert verdict(up, +1) == "holds"
    assert verdict(up, -1) == "reversed"
    noise = paired(a, a + rng.normal(0, 1, 40))
    assert noise["p"] > 0.01 and verdict(noise, +1) == "does not hold"
    # Only 5 pairs differ (all the same way): too few to decide either way.
    few = paired(np.zeros(40), np.r_[np.ones(5), np.zeros(35)])
    assert few["n_informative"] == 5 and verdict(few, +1) == "inconclusive"
    # Missing values are not pairs.
    gaps = paired(np.full(40, np.nan), a)
    assert gaps["n"] == 0 and verdict(gaps, +1) == "inconclusive"


def test_verdict_rule_on_binary_and_share_tests():
    a = np.zeros(60, bool)
    b = np.r_[np.ones(20, bool), np.zeros(40, bool)]
    res = mcnemar(a, b)
    assert res["n_informative"] == 20 and verdict(res, +1) == "holds" and verdict(res, -1) == "reversed"
    assert res["ci"][0] < res["diff"] < res["ci"][1]
    assert verdict(mcnemar(a, np.r_[np.ones(6, bool), np.zeros(54, bool)]), +1) == "inconclusive"
    s = share_test(np.r_[np.ones(30, bool), np.zeros(2, bool)])
    assert verdict(s, +1) == "holds" and s["ci"][0] > 0
    assert verdict(share_test(np.zeros(30, bool)), +1) == "reversed"


def test_combine_cell_verdict():
    assert combine(["holds", "holds"]) == "holds"
    assert combine(["holds", "inconclusive"]) == "inconclusive"
    assert combine(["holds", "does not hold", "inconclusive"]) == "does not hold"
    assert combine(["holds", "reversed", "does not hold"]) == "reversed"
    assert combine(["not applicable", "holds"]) == "holds"
    assert combine(["not applicable"]) == "not applicable" and combine([]) == "not applicable"


# ---------------------------------------------------------------- the map
def test_map_has_every_scenario_region_cell_for_every_pattern():
    ctx = Context(quick=True)
    ctx.regions = None  # the full map, not the quick subset
    planned, jobs = plan(ctx, sorted(SPECS))
    want = {(s, r.name) for s in shipped_scenarios() for r in REGIONS}
    assert len(REGIONS) >= 3 and len(want) == len(shipped_scenarios()) * len(REGIONS)
    for n in SPECS:
        mine = [p for p in planned if p.spec.number == n]
        assert {(p.cell.scenario, p.cell.region.name) for p in mine} == want
        for p in mine:
            assert bool(p.conditions) != bool(p.reason), (n, p.cell.key)
            # Common random numbers: every condition of a cell uses the same seeds.
            seeds = {tuple(jobs[k].seed for k in keys) for keys in p.conditions.values()}
            assert len(seeds) <= 1
    assert all(j.config.citizens.count in (300, 2000) for j in jobs.values())


def test_regions_change_only_resistance_and_trust():
    base = {c.region.name: c.config for c in cells([MUNI])}
    h, d, f = base["hostile"], base["default"], base["friendly"]
    assert (h.trust.initial, f.trust.initial) == (0.3, 0.7)
    for g_h, g_d, g_f in zip(h.departments.groups, d.departments.groups, f.departments.groups, strict=True):
        assert g_h.resistance == pytest.approx(min(1.0, 1.5 * g_d.resistance))
        assert g_f.resistance == pytest.approx(0.5 * g_d.resistance)
    assert h.negotiation == d.negotiation == f.negotiation


def test_not_applicable_cells_say_why():
    from dataclasses import replace

    water = next(c for c in cells(["water_board"], ["default"]))
    assert isinstance(SPECS[3].design(water), dict)  # every shipped scenario has channels (issue 19)
    data = water.config.model_dump()
    for g in data["partners"]["groups"]:
        g["reach"] = 0.0
    channel_less = replace(water, config=validate(data, "test"))
    assert "channel partner" in SPECS[3].design(channel_less)  # no partner reach: no hired counters
    assert isinstance(SPECS[2].design(water), str)  # the default region makes no crossover claim
    muni = next(c for c in cells([MUNI], ["hostile"]))
    assert isinstance(SPECS[3].design(muni), dict) and isinstance(SPECS[2].design(muni), dict)


def _small(workers: int, tmp: Path) -> dict:
    ctx = Context(workers=workers, img_dir=tmp, scenarios=[MUNI], regions=["hostile", "friendly"], reps=4)
    return store.clean({k: v for k, v in run_map(ctx, [2, 10]).items() if k == "patterns"})


def test_map_results_identical_with_one_and_two_workers(tmp_path: Path):
    one = _small(1, tmp_path / "a")
    two = _small(2, tmp_path / "b")
    assert one == two
    cells_ = one["patterns"][1]["cells"]
    assert [c["region"] for c in cells_] == ["hostile", "friendly"]
    assert all(c["verdict"] in VERDICTS for c in cells_)
    assert (tmp_path / "a" / "pattern10.png").stat().st_size > 10_000


def test_partial_run_merges_cells():
    old = {"meta": {}, "patterns": [{"number": 10, "global": None, "cells": [
        {"scenario": "x", "region": "hostile", "verdict": "holds"},
        {"scenario": "y", "region": "hostile", "verdict": "holds"}]}]}  # fmt: skip
    new = {"meta": {"quick": False}, "patterns": [{"number": 10, "global": None, "cells": [
        {"scenario": "y", "region": "hostile", "verdict": "reversed"}]}]}  # fmt: skip
    got = merge(old, new)
    assert got["meta"]["partial"]
    assert {(c["scenario"], c["verdict"]) for c in got["patterns"][0]["cells"]} == {
        ("x", "holds"),
        ("y", "reversed"),
    }
    assert merge([{"number": 1}], new) is new  # the old list format is replaced


def test_results_do_not_depend_on_workers():
    cfg = scenario({"run.months": 60})
    jobs = [Job(cfg, s) for s in (1, 2, 3, 4)]
    one = run_jobs(jobs, 1)
    two = run_jobs(jobs, 2)
    for a, b in zip(one, two, strict=True):
        assert a["failures"] == b["failures"] and a["total_cost"] == b["total_cost"]
        assert np.array_equal(a["series"]["mean_trust"], b["series"]["mean_trust"])


def test_outcome_is_seeded():
    cfg = scenario({"run.months": 48})
    a, b = outcome(Job(cfg, 9)), outcome(Job(cfg, 9))
    assert a["parties"] == b["parties"]


@pytest.mark.slow  # about 50 s since calibrate runs the model (quick mode)
def test_cli_validate_and_calibrate(tmp_path: Path, capsys):
    quick = ["--quick", "--workers", "1", "--citizens", "100", "--replications", "2"]
    assert main(["calibrate", "--method", "grid", *quick, "--bootstrap", "20", "--out", str(tmp_path)]) == 0
    args = [
        "validate-patterns",
        "--patterns",
        "10",
        "--scenarios",
        MUNI,
        "--workers",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--quick"]) == 0
    text = (tmp_path / "VALIDATION.md").read_text(encoding="utf-8")
    assert "Pattern 10" in text and "Calibration to the Dutch series" in text
    assert "reduced run, not the reported verdicts" in text
    data = store.read(tmp_path / "img/validation/patterns.json")
    assert data["meta"]["quick"] and [c["region"] for c in data["patterns"][0]["cells"]] == [
        "hostile",
        "friendly",
    ]
    for f in ("calibration.png", "pattern10.png", "overview.png"):
        assert (tmp_path / "img/validation" / f).exists()
    assert "| municipality building housing |" in text and "by construction" in text


def test_cli_rejects_unknown_scenario_and_region(capsys):
    assert main(["validate-patterns", "--scenarios", "nowhere", "--out", "unused"]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert main(["validate-patterns", "--regions", "lukewarm", "--out", "unused"]) == 2
    assert "lukewarm" in capsys.readouterr().err


def test_report_tolerates_other_calibration_shapes():
    text = build(None, {"definition": "something new", "fits": "not a list"})
    assert "Calibration to the Dutch series" in text and "something new" in text


def test_cli_rejects_unknown_pattern(capsys):
    assert main(["validate-patterns", "--patterns", "11", "--out", "unused"]) == 2
    assert "no pattern [11]" in capsys.readouterr().err


def test_report_without_results_says_so():
    text = build(None, None)
    assert "run `egov-sim validate-patterns`" in text and "run `egov-sim calibrate`" in text


@pytest.mark.slow
def test_bass_limit_all_pairs_five_seeds():
    from simulation.validation.bass import PAIRS, check

    cases = check(pairs=PAIRS, sizes=(50_000,), seeds=5, small_world_n=10_000)
    for c in cases:
        if c.network == "complete":
            assert c.max_dev_discrete < 0.01, c


@pytest.mark.slow
def test_clear_scope_reduces_late_resistance_with_power(tmp_path: Path):
    # Pattern 10 in the municipality scenario at its defaults, 60 CRN pairs: Wilcoxon p < 0.01.
    ctx = Context(workers=2, img_dir=tmp_path, scenarios=[MUNI], regions=["default"], reps=60)
    (p,) = run_map(ctx, [10])["patterns"]
    assert p["cells"][0]["verdict"] == "holds", p["cells"][0]["primary"]
