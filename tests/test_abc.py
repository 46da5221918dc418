"""ABC-SMC calibration (pyabc on the sweep engine): targets, residuals, determinism, resume."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simulation.cli import main
from simulation.experiments.sweep import TaskEngine
from simulation.io.scenario_io import ScenarioError
from simulation.validation import abc


def test_shipped_targets_cover_every_reference_kind():
    targets = abc.shipped_targets()
    kinds = {t.kind for t in targets if t.fit}
    assert kinds == {"level", "lower", "upper", "gap", "interval"}
    defs = {t.definition for t in targets}
    assert {
        "eurostat_interacted",
        "overheidsloket_2000",
        "flyvbjerg_budzier_2011",
        "cbs_visited_gov_site",
    } <= defs
    assert all(t.source and t.handling for t in targets)
    held = abc.held_out(targets)
    assert all(not t.fit for t in held if t.year and t.year > abc.HELD_OUT_AFTER)
    assert any(t.fit for t in held)


def test_bad_targets_file_names_the_line_and_column(tmp_path: Path):
    path = tmp_path / "t.csv"
    head = "target,kind,year,value,low,high,sd,definition,group,fit,source,handling\n"
    path.write_text(head + "x,level,2011,0.6,,,0,d,all,yes,s,h\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"t\.csv: line 2 \(x\): sd must be > 0"):
        abc.read_targets(path)
    path.write_text(head + "x,slope,2011,0.6,,,0.1,d,all,yes,s,h\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="kind 'slope'; allowed"):
        abc.read_targets(path)


def test_residuals_are_one_sided_for_bounds_and_intervals():
    t = abc.Target
    setup = abc.Setup(
        targets=(
            t("lv", "level", 2011, 0.6, math.nan, math.nan, 0.1, "d", "all", True, "", ""),
            t("lo", "lower", 2011, 0.6, math.nan, math.nan, 0.1, "d", "all", True, "", ""),
            t("up", "upper", 2011, 0.6, math.nan, math.nan, 0.1, "d", "all", True, "", ""),
            t("iv", "interval", None, math.nan, 24, 48, 6.0, "overheidsloket_2000", "m", True, "", ""),
            t("no", "level", 2011, 0.6, math.nan, math.nan, 0.1, "d", "all", False, "", ""),
        )
    )
    z = abc.residuals(setup, np.array([0.8, 0.8, 0.8, 60.0, 0.0]))
    assert z == pytest.approx([2.0, 0.0, 2.0, 2.0])  # the unfitted target is left out
    z = abc.residuals(setup, np.array([0.4, 0.4, 0.4, 30.0, 0.0]))
    assert z == pytest.approx([-2.0, 2.0, 0.0, 0.0])


def _tiny(workers: int, db: Path, generations: int, resume: bool = False) -> abc.FitResult:
    settings = abc.AbcSettings.quick(citizens=100)
    setup = replace(abc.make_setup(settings), citizens=100)
    with TaskEngine(workers) as engine:
        return abc.run_fit(
            setup, settings, engine, db, population=8, generations=generations, master=3, resume=resume
        )


def test_abc_fit_is_identical_for_any_number_of_workers_and_after_a_resume(tmp_path: Path):
    one = _tiny(1, tmp_path / "one.db", 2)
    two = _tiny(2, tmp_path / "two.db", 2)
    assert np.array_equal(one.values, two.values) and np.array_equal(one.weights, two.weights)
    _tiny(1, tmp_path / "res.db", 1)
    resumed = _tiny(1, tmp_path / "res.db", 2, resume=True)
    assert np.array_equal(one.values, resumed.values) and np.array_equal(one.weights, resumed.weights)
    assert [g["generation"] for g in resumed.generations] == [0, 1]
    priors = {p.name: p for p in abc.make_setup(abc.AbcSettings.quick()).priors}
    for j, name in enumerate(one.names):  # particles inside their priors
        assert (one.values[:, j] >= priors[name].low).all() and (one.values[:, j] <= priors[name].high).all()


@pytest.mark.slow  # about a minute: both fits, the predictive checks and the figures
def test_cli_calibrate_quick_writes_posterior_diagnostics_and_coverage(tmp_path: Path, capsys):
    args = ["calibrate", "--quick", "--workers", "2", "--population", "12", "--generations", "2"]
    assert main([*args, "--citizens", "200", "--out", str(tmp_path), "--state", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "held-out (after 2013): coverage 50 %" in out and "months to first service" in out
    img = tmp_path / "img/validation"
    for name in ("abc_ppc.png", "abc_prior_posterior.png", "abc_heldout.png", "posterior.csv", "abc.json"):
        assert (img / name).stat().st_size > 0, name
    text = (tmp_path / "VALIDATION.md").read_text(encoding="utf-8")
    assert "ABC-SMC" in text and "coverage of the 50 % intervals" in text


@pytest.mark.slow  # starts a Dask LocalCluster
def test_abc_fit_on_dask_equals_the_in_process_fit(tmp_path: Path):
    settings = abc.AbcSettings.quick(citizens=100)
    setup = replace(abc.make_setup(settings), citizens=100)
    fits = []
    for workers, cluster in ((1, None), (2, "local")):
        with TaskEngine(workers, cluster) as engine:
            fits.append(
                abc.run_fit(
                    setup, settings, engine, tmp_path / f"{workers}.db", population=8, generations=1, master=5
                )
            )
    assert np.array_equal(fits[0].values, fits[1].values) and np.array_equal(fits[0].weights, fits[1].weights)
