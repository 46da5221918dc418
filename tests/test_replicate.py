"""Background replications for the browser app (simulation.webapp.replicate)."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.runs.compare import compare
from simulation.runs.seeds import replication_seeds
from simulation.runs.stats import mean_ci
from simulation.webapp.replicate import BAND_SERIES, Replications, _pad, band

SCENARIO = "municipality_building_housing"
MONTHS = 36


def tiny(**sets: str):
    return load_scenario(
        SCENARIO,
        overrides={"run": {"months": MONTHS}, "citizens": {"count": 2000}},
        sets=[f"{k}={v}" for k, v in sets.items()],
    )


@pytest.fixture(scope="module")
def pair():
    return tiny(**{"service.model": "integration"}), tiny(**{"service.model": "fragmentation"})


def same_rows(mine: list[dict], theirs: pd.DataFrame) -> None:
    """Rows equal to a compare table, exactly (NaN there is None here)."""
    expected = theirs.to_dict("records")
    assert len(mine) == len(expected)
    for got, want in zip(mine, expected, strict=True):
        assert list(got) == list(want)
        for key, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert got[key] is None, key
            else:
                assert got[key] == value, (want.get("kpi", want.get("relation")), key)


def finished(reps: Replications) -> Replications:
    reps.start()
    assert reps.join(60)
    assert reps.done and reps.error is None
    return reps


def test_bad_arguments_rejected(pair):
    a, b = pair
    for n in (0, 1, 201, -3, 2.5, True):
        with pytest.raises(ValueError, match="replications"):
            Replications([a], ["A"], 1, n)
    with pytest.raises(ValueError, match="one or two"):
        Replications([a, b, a], ["A", "B", "C"], 1, 3)
    with pytest.raises(ValueError, match="one label per"):
        Replications([a, b], ["A"], 1, 3)
    with pytest.raises(ValueError, match="differ"):
        Replications([a, b], ["A", "A"], 1, 3)
    with pytest.raises(ValueError, match="ScenarioConfig"):
        Replications([a.model_dump()], ["A"], 1, 3)


def test_seeds_are_those_of_compare(pair):
    a, b = pair
    assert Replications([a, b], ["A", "B"], 7, 5).seeds == replication_seeds(7, 5)
    assert Replications([a], ["A"], None, 3).seeds == replication_seeds(a.run.seed, 3)


def test_compare_summary_equals_egov_sim_compare(pair):
    a, b = pair
    seen: list[tuple[int, int]] = []
    reps = finished(
        Replications([a, b], ["integ", "frag"], 11, 4, on_progress=lambda d, t: seen.append((d, t)))
    )
    assert seen == [(i, 8) for i in range(1, 9)] and reps.progress == (8, 8)
    comp = compare(a, b, labels=("integ", "frag"), replications=4, master_seed=11)
    s = reps.summary()
    assert s["n"] == 4
    assert "95 %" in s["note"] and "not the spread" in s["note"]
    same_rows(s["kpis"], comp.table)
    same_rows(s["scorecard"], comp.scorecard)
    frame = reps.frame()
    pd.testing.assert_frame_equal(frame, comp.kpis, check_dtype=False)
    # Bands: the t interval of the mean curve, month by month, as stats.mean_ci.
    for label in ("integ", "frag"):
        for v in ("adoption", "cumulative_cost", "legitimacy"):
            arr = comp.series[v][label]
            b_ = s["bands"][label][v]
            for month in (0, MONTHS // 2, MONTHS):
                m, lo, hi = mean_ci(arr[:, month])
                assert b_["mean"][month] == pytest.approx(m, abs=1e-12)
                if math.isfinite(lo):
                    assert b_["low"][month] == pytest.approx(lo, abs=1e-9)
                    assert b_["high"][month] == pytest.approx(hi, abs=1e-9)
    json.dumps(s, allow_nan=False)  # plain values, no NaN


def test_bands_shape_and_order(pair):
    a, b = pair
    s = finished(Replications([a, b], ["A", "B"], 3, 3)).summary()
    assert s["months"] == {"A": MONTHS, "B": MONTHS}
    for label in ("A", "B"):
        assert set(s["bands"][label]) == set(BAND_SERIES)
        for v, curve in s["bands"][label].items():
            for key in ("mean", "low", "high"):
                assert len(curve[key]) == MONTHS + 1, (label, v, key)
                assert all(x is None or isinstance(x, float) for x in curve[key])
            for m, lo, hi in zip(curve["mean"], curve["low"], curve["high"], strict=True):
                assert lo <= m <= hi


def test_single_config(pair):
    a, _ = pair
    reps = finished(Replications([a], ["only"], 5, 3))
    s = reps.summary()
    assert s["n"] == 3 and reps.progress == (3, 3)
    assert list(s["bands"]) == ["only"]
    rows = {r["kpi"]: r for r in s["kpis"]}
    values = [rep["final_adoption"] for rep in reps.frame().to_dict("records")]
    m, lo, hi = mean_ci(np.array(values))
    assert rows["final_adoption"]["mean"] == pytest.approx(m)
    assert rows["final_adoption"]["n"] == 3
    if math.isfinite(lo):
        assert rows["final_adoption"]["ci_low"] == pytest.approx(lo)
        assert rows["final_adoption"]["ci_high"] == pytest.approx(hi)
    t = rows["months_to_50pct_adoption"]
    assert 0 <= t["reached"] <= 3 and t["n"] == 3 and "restricted" in t["unit"]
    assert len(s["scorecard"]) > 0 and all(r["n"] == 3 for r in s["scorecard"])
    assert list(reps.frame()["seed"]) == replication_seeds(5, 3)
    json.dumps(s, allow_nan=False)


def test_cancel_keeps_complete_pairs_only(pair):
    a, b = pair
    gate = threading.Event()
    reps: Replications

    def on_progress(done: int, total: int) -> None:
        if done == 3:  # replication 0 complete, replication 1 half done (A only)
            reps.cancel()
            gate.set()

    reps = Replications([a, b], ["A", "B"], 9, 10, on_progress=on_progress)
    assert reps.summary()["n"] == 0 and reps.summary()["kpis"] == []
    reps.start()
    assert gate.wait(60) and reps.join(60)
    assert reps.done and reps.cancelled and reps.error is None
    assert reps.progress == (3, 20)
    s = reps.summary()
    assert s["n"] == 1 and reps.complete == 1 and reps.summary() is s
    assert "too few replications" in s["note"] and "Cancelled" in s["note"]
    assert all(r["n_pairs"] == 1 for r in s["kpis"])
    assert all(x is None for x in s["bands"]["A"]["adoption"]["low"])
    with pytest.raises(RuntimeError):
        reps.start()


def test_cancel_before_start_and_error(pair):
    a, _ = pair
    reps = Replications([a], ["A"], 1, 2)
    reps.cancel()
    assert reps.done and reps.progress == (0, 2)

    calls: list[tuple[int, int]] = []
    broken = Replications([a], ["A"], 1, 2, on_progress=lambda d, t: calls.append((d, t)))
    broken.seeds = [1, -1]  # an invalid seed: run() rejects it
    broken.start()
    assert broken.join(60) and broken.done
    assert broken.error is not None and "replication 2" in broken.error
    assert broken.progress == (1, 2) and calls[-1] == (1, 2)
    assert broken.summary()["n"] == 1 and "failed" in broken.summary()["note"]


def test_band_matches_mean_ci_with_nan():
    arr = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, 4.0, 7.0]])
    out = band(arr)
    for j in range(arr.shape[1]):
        m, lo, hi = mean_ci(arr[:, j])
        assert out["mean"][j] == pytest.approx(m)
        assert (out["low"][j] is None) == (not math.isfinite(lo))
        if math.isfinite(lo):
            assert out["low"][j] == pytest.approx(lo) and out["high"][j] == pytest.approx(hi)


def test_short_runs_padded_with_last_value():
    assert list(_pad([0.1, 0.2, 0.3], 5)) == [0.1, 0.2, 0.3, 0.3, 0.3]
    assert list(_pad([0.1, 0.2, 0.3], 2)) == [0.1, 0.2]


def test_parameter_ensemble_gives_replication_i_draw_i_for_a_and_b(pair):
    """The app's ``--ensemble``: replication i runs with draw i of the prior (the same for A
    and B: common parameters and seeds); pinned keys are never drawn; same seed, same runs."""
    from simulation.runs.ensemble import EnsembleSpec, configure, make_draws
    from simulation.runs.runner import run

    a, b = pair
    pinned = {"trust.initial"}
    reps = finished(Replications([a, b], ["A", "B"], 5, 3, ensemble="prior", pinned=pinned))
    draws = make_draws(EnsembleSpec("prior", 3), 5)
    seeds = replication_seeds(5, 3)
    for k, cfg in enumerate((a, b)):
        for i in range(3):
            want = configure(cfg, draws[i], pinned, "t")
            assert reps.run_configs[k][i] == want
            assert want.trust.initial == cfg.trust.initial  # pinned
            assert reps._runs[k][i].kpis == run(want, seed=seeds[i]).kpis
    # The draws matter: not the seeds-only result.
    plain = finished(Replications([a, b], ["A", "B"], 5, 3))
    assert [r.kpis for r in plain._runs[0]] != [r.kpis for r in reps._runs[0]]
    assert "Parameter ensemble: replication i also has prior draw i" in reps.summary()["note"]
    with pytest.raises(ValueError, match="parameter ensemble must be one of posterior, prior"):
        Replications([a], ["A"], 5, 3, ensemble="priors")
