"""Priors, parameter ensembles and the ensemble compare (issue 19)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simulation import load_scenario
from simulation.cli import main
from simulation.io.scenario_io import ScenarioError
from simulation.runs.compare import compare
from simulation.runs.ensemble import (
    EnsembleSpec,
    Posterior,
    configure,
    make_draws,
    parse_ensemble,
    shipped_posterior,
    variance_split,
)
from simulation.runs.priors import _bounds, read_priors, shipped_priors

SMALL = ["citizens.count=300", "run.months=48"]


def test_every_prior_is_valid_and_inside_its_parameter_range():
    priors = shipped_priors()
    assert len(priors) >= 60
    assert {p.name for p in priors if p.calibrated} >= {
        "citizens.p",
        "citizens.q",
        "parties.scale.resistance",
    }
    for p in priors:
        lo, hi = p.ppf(0.0), p.ppf(1.0)
        assert math.isclose(lo, p.low) and math.isclose(hi, p.high), p.name
        assert p.source, p.name
        if p.mode == "absolute":
            flo, fhi, _ = _bounds(p.name)
            assert flo <= p.low < p.high <= fhi, p.name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[prior]]\nname = "citizens.nope"\ndistribution = "uniform"\nlow = 0\nhigh = 1\n',
            "is not a parameter",
        ),
        ('[[prior]]\nname = "citizens.p"\ndistribution = "normal"\nlow = 0\nhigh = 1\n', "allowed: uniform"),
        (
            '[[prior]]\nname = "citizens.p"\ndistribution = "uniform"\nlow = 0.5\nhigh = 2\n',
            "leaves the parameter",
        ),
        ('[[prior]]\nname = "citizens.p"\ndistribution = "loguniform"\nlow = 0\nhigh = 1\n', "low > 0"),
        (
            '[[prior]]\nname = "citizens.p"\ndistribution = "uniform"\nlow = 0\nhigh = 1\nwat = 1\n',
            "unknown key",
        ),
    ],
)
def test_a_bad_priors_file_names_the_file_the_entry_and_the_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "priors.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_priors(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_draws_are_reproducible_by_seed_prefix_stable_and_inside_the_priors():
    spec = parse_ensemble("prior:30")
    a, b = make_draws(spec, 5), make_draws(spec, 5)
    assert a == b
    assert make_draws(EnsembleSpec("prior", 10), 5) == a[:10]  # draw i depends on (seed, i) only
    assert make_draws(spec, 6) != a
    priors = {p.name: p for p in shipped_priors()}
    for d in a:
        for name, v in d.items():
            assert priors[name].low <= v <= priors[name].high, name


def test_posterior_draws_come_from_the_particles_and_stay_inside_the_priors():
    priors = shipped_priors()
    post = shipped_posterior()
    if post is None:  # no shipped posterior yet: a synthetic one exercises the same code
        p = next(x for x in priors if x.name == "citizens.q")
        post = Posterior(("citizens.q",), np.array([[p.low * 2], [p.high / 2]]), np.array([0.25, 0.75]))
    draws = make_draws(EnsembleSpec("posterior", 200), 3, posterior=post)
    by = {p.name: p for p in priors}
    particles = {n: set(post.values[:, j]) for j, n in enumerate(post.names)}
    for d in draws:
        for n in post.names:
            assert d[n] in particles[n]
            assert by[n].low <= d[n] <= by[n].high
    if len(post.weights) == 2:  # weights respected: binomial, 200 draws, p = 0.75, 4 sd
        share = np.mean([d["citizens.q"] == post.values[1, 0] for d in draws])
        assert abs(share - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 200)


def test_scale_priors_multiply_the_scenario_value_and_pinned_values_stay():
    cfg = load_scenario("municipality_building_housing", sets=["trust.initial=0.4"])
    draw = {"trust.initial": 1.1, "trust.build_rate": 0.12, "parties.scale.resistance": 0.5}
    out = configure(cfg, draw)
    assert out.trust.initial == pytest.approx(0.44)
    assert out.trust.build_rate == pytest.approx(0.12)
    assert out.departments.groups[0].resistance == pytest.approx(cfg.departments.groups[0].resistance * 0.5)
    pinned = configure(cfg, draw, pinned={"trust.initial"})
    assert pinned.trust.initial == pytest.approx(0.4) and pinned.trust.build_rate == pytest.approx(0.12)


def test_variance_split_recovers_known_components():
    # y[d, r] = parameter effect (sd 1) + seed noise (sd 1): shares 0.5 / 0.5 in expectation.
    # Criterion: within 0.1 of 0.5 with 400 draws x 10 seeds (sampling sd of the share ~0.03).
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, (400, 1)) + rng.normal(0, 1, (400, 10))
    s = variance_split(y)
    assert abs(s["param_share"] - 0.5) < 0.1 and math.isclose(s["param_share"] + s["seed_share"], 1.0)
    only_seeds = variance_split(np.zeros((50, 1)) + rng.normal(0, 1, (50, 10)))
    assert only_seeds["param_share"] < 0.1
    assert math.isnan(variance_split(np.ones((5, 1)))["param_share"])  # one seed: cannot tell


def _pair():
    a = load_scenario("municipality_building_housing", sets=[*SMALL, "service.model=integration"])
    b = load_scenario("municipality_building_housing", sets=[*SMALL, "service.model=fragmentation"])
    return a, b


def test_ensemble_compare_pairs_draws_and_seeds_and_does_not_depend_on_workers():
    a, b = _pair()
    draws = make_draws(parse_ensemble("prior:3"), 9)
    one = compare(a, b, replications=2, master_seed=4, draws=draws)
    two = compare(a, b, replications=2, master_seed=4, draws=draws, workers=2)
    cols = [c for c in one.kpis.columns if c != "label"]
    assert one.kpis[cols].equals(two.kpis[cols])
    assert one.ensemble.equals(two.ensemble)
    k = one.kpis
    assert len(k) == 2 * 3 * 2 and sorted(k.draw.unique()) == [0, 1, 2]
    for _, grp in k.groupby("replication"):
        assert grp.seed.nunique() == 1 and grp.draw.nunique() == 1  # A and B share seed and draw
    assert (
        k.groupby("draw").seed.apply(lambda s: sorted(set(s))).map(tuple).nunique() == 1
    )  # CRN across draws
    # The drawn values reach both arms.
    ca, cb = configure(a, draws[1]), configure(b, draws[1])
    assert ca.trust.build_rate == cb.trust.build_rate == pytest.approx(draws[1]["trust.build_rate"])
    assert set(one.ensemble.columns) >= {"share_b_better", "param_share", "seed_share", "verdict"}


def test_one_draw_pinned_to_the_defaults_gives_exactly_the_plain_compare(tmp_path: Path):
    common = ["--citizens", "300", "--steps", "48", "--replications", "3", "--force"]
    assert main(["compare", *common, "--out", str(tmp_path / "plain")]) == 0
    assert main(["compare", *common, "--ensemble", "defaults", "--out", str(tmp_path / "ens")]) == 0
    for name in ("comparison.csv", "scorecard_comparison.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "ens" / name).read_bytes(), name
    assert (tmp_path / "ens" / "ensemble.csv").is_file() and (tmp_path / "ens" / "draws.csv").is_file()


def test_compare_ensemble_prints_the_variance_split(tmp_path: Path, capsys):
    args = ["compare", "--citizens", "300", "--steps", "48", "--replications", "2", "--ensemble", "prior:3"]
    assert main([*args, "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "var: params / seeds" in out and "3 prior draws" in out


@pytest.mark.parametrize("bad", ["lots", "prior:0", "prior:x", "-3"])
def test_a_bad_ensemble_is_a_clear_error(tmp_path: Path, capsys, bad: str):
    assert main(["compare", "--ensemble", bad, "--out", str(tmp_path / "x")]) == 2
    assert "--ensemble" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_params_shows_the_prior(capsys):
    assert main(["params", "citizens.q"]) == 0
    out = capsys.readouterr().out
    assert "Prior: loguniform" in out


def test_run_ensemble_writes_the_spread_and_keeps_the_single_run(tmp_path: Path, capsys):
    base = ["run", "--citizens", "300", "--steps", "36", "--force"]
    assert main([*base, "--out", str(tmp_path / "plain")]) == 0
    assert main([*base, "--ensemble", "prior:3", "--out", str(tmp_path / "ens")]) == 0
    assert "var: params / seeds" in capsys.readouterr().out
    # The single run is the same run; the ensemble files come on top.
    for name in ("timeseries.csv", "kpis.json", "scorecard.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "ens" / name).read_bytes()
    import pandas as pd

    runs = pd.read_csv(tmp_path / "ens" / "ensemble_runs.csv")
    assert len(runs) == 3 * 2 and sorted(runs.draw.unique()) == [0, 1, 2]
    assert runs.groupby("replication").seed.nunique().eq(1).all()  # the same seeds in every draw
    assert (tmp_path / "ens" / "ensemble_adoption.png").stat().st_size > 0
