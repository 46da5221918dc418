"""Validation suite: Bass limit, calibration recovery, pattern experiments (quick)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation.cli import main
from simulation.scenario_io import ScenarioError
from simulation.validation import bass_continuous, bass_curve, bass_discrete
from simulation.validation import calibrate as cal
from simulation.validation.patterns import PATTERNS, Context, run_patterns
from simulation.validation.report import build
from simulation.validation.runs import Job, outcome, run_jobs, scenario

VERDICTS = {"holds", "holds in region", "partly holds", "does not hold"}


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


@pytest.mark.parametrize("number", sorted(PATTERNS))
def test_pattern_quick_returns_verdict(number: int, tmp_path: Path):
    ctx = Context(quick=True, workers=1, img_dir=tmp_path, min_reps=3)
    (res,) = run_patterns(ctx, [number])
    assert res.number == number and res.verdict in VERDICTS
    assert res.claims and all(isinstance(c.passed, bool) for c in res.claims)
    assert (tmp_path / res.figure).stat().st_size > 10_000
    assert res.to_dict()["claims"][0]["result"]["test"]


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
    assert main(["calibrate", *quick, "--bootstrap", "20", "--out", str(tmp_path)]) == 0
    assert (
        main(["validate-patterns", "--quick", "--patterns", "10", "--workers", "1", "--out", str(tmp_path)])
        == 0
    )
    text = (tmp_path / "VALIDATION.md").read_text(encoding="utf-8")
    assert "Pattern 10" in text and "Calibration to the Dutch series" in text and "Quick mode" in text
    assert (tmp_path / "img/validation/calibration.png").exists()
    assert (tmp_path / "img/validation/pattern10.png").exists()


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
    # Pattern 10 at 60 replications: Wilcoxon p < 0.01 in the claimed direction.
    ctx = Context(quick=False, workers=2, img_dir=tmp_path)
    ctx.reps = lambda full: 60  # type: ignore[method-assign]
    (res,) = run_patterns(ctx, [10])
    assert res.claims[0].passed, res.claims[0].result
