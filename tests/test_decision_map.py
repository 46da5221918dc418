"""Decision maps (issue 20): analysis on known winners, stability, worker independence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments import decision_map as dm

TINY = ["--levels", "2", "--draws", "1", "--replications", "2", "--citizens", "100", "--steps", "60"]


def _runs(values: np.ndarray) -> dm.MapRuns:
    s = dm.MapSettings(
        "municipality_building_housing",
        dm.Axis("trust.initial", (0.2, 0.8)),
        dm.Axis("parties.scale.resistance", (0.5, 1.5)),
    )
    return dm.MapRuns(s, 1, values)


def test_a_design_best_by_construction_wins_every_cell_with_probability_one():
    rng = np.random.default_rng(0)
    shape = (2, 2, len(dm.DESIGNS), 6, len(dm.OBJECTIVES))
    v = rng.uniform(0.3, 0.6, shape)
    star = dm.DESIGNS.index(("hybrid", "phased"))
    signs = np.array([1.0 if d == "higher" else -1.0 for _, d, _, _ in dm.OBJECTIVES.values()])
    v[:, :, star] += 0.5 * signs  # better on every objective in every sample
    res = dm.analyse(_runs(v))
    for name in [*dm.OBJECTIVES, "combined"]:
        assert (res.winner[name] == star).all(), name
        assert np.allclose(res.p_win[name][..., star], 1.0), name
        assert (res.regret[name] == star).all(), name


def test_minimax_regret_can_differ_from_the_best_mean():
    # Design 0: great on average but terrible in one sample; design 1: always second best.
    v = np.zeros((1, 1, len(dm.DESIGNS), 4, len(dm.OBJECTIVES)))
    k = list(dm.OBJECTIVES).index("adoption")
    v[0, 0, 2:, :, k] = -5.0
    v[0, 0, 0, :, k] = [1.0, 1.0, 1.0, -1.0]
    v[0, 0, 1, :, k] = [0.4, 0.4, 0.4, 0.4]
    res = dm.analyse(_runs(v.repeat(2, 0).repeat(2, 1)))
    assert res.winner["adoption"][0, 0] == 0 and res.regret["adoption"][0, 0] == 1
    assert res.p_win["adoption"][0, 0, 0] == pytest.approx(0.75)


def test_the_map_finds_the_winner_of_a_toy_scenario_known_by_construction(tmp_path: Path, capsys):
    # Integration needs 240 months at readiness 1 (the maximum), fragmentation 1 month:
    # fragmentation must reach its first service sooner in every cell.
    toy = tmp_path / "toy.toml"
    toy.write_text(
        "# Toy: integration takes forever, fragmentation a month.\n"
        "[integration]\nduration = 240.0\n[fragmentation]\nduration = 1.0\n",
        encoding="utf-8",
    )
    out = tmp_path / "m"
    assert main(["map", str(toy), *TINY, "--out", str(out)]) == 0
    cells = pd.read_csv(out / "cells.csv")
    first = cells[cells.objective == "first_service"]
    assert first.winner.str.startswith("fragmentation").all(), first.winner.tolist()
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Fragmentation beats integration on first service" in text
    for name in ("phase_combined.png", "phase_cost.png", "stability.png"):
        assert (out / name).stat().st_size > 0


def test_stability_is_one_when_both_seeds_are_equal(tmp_path: Path):
    out = tmp_path / "m"
    assert main(["map", *TINY, "--seed", "3", "--seed2", "3", "--out", str(out)]) == 0
    agree = json.loads((out / "map.json").read_text(encoding="utf-8"))["agreement"]
    assert set(agree) == {*dm.OBJECTIVES, "combined"}
    assert all(v == 1.0 for v in agree.values())
    choice = json.loads((out / "map.json").read_text(encoding="utf-8"))["choice_agreement"]
    assert all(v == {"service_model": 1.0, "rollout": 1.0} for v in choice.values())


def test_choice_agreement_separates_service_model_and_rollout():
    v = np.zeros((2, 1, len(dm.DESIGNS), 2, len(dm.OBJECTIVES)))
    a, b = dm.analyse(_runs(v.repeat(2, 1))), dm.analyse(_runs(v.repeat(2, 1)))
    ip, ib, fp = (
        dm.DESIGNS.index(d)
        for d in [("integration", "phased"), ("integration", "big_bang"), ("fragmentation", "phased")]
    )
    a.winner["cost"] = np.array([[ip, ip], [ip, ip]])
    b.winner["cost"] = np.array([[ib, ib], [fp, fp]])  # same model in half, same rollout in the other half
    got = dm.choice_agreement(a, b)["cost"]
    assert got == {"service_model": 0.5, "rollout": 0.5}
    assert dm.agreement(a, b)["cost"] == 0.0


def test_the_map_is_identical_whatever_the_number_of_workers(tmp_path: Path):
    for w in (1, 2):
        assert main(["map", *TINY, "--workers", str(w), "--out", str(tmp_path / f"w{w}")]) == 0
    a = (tmp_path / "w1" / "cells.csv").read_bytes()
    assert a == (tmp_path / "w2" / "cells.csv").read_bytes()
    ja = json.loads((tmp_path / "w1" / "map.json").read_text(encoding="utf-8"))
    jb = json.loads((tmp_path / "w2" / "map.json").read_text(encoding="utf-8"))
    assert ja["p_win"] == jb["p_win"] and ja["agreement"] == jb["agreement"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--x", "trust.nope=0:1"], "not a parameter"),
        (["--x", "trust.initial=0.8:0.2"], "LOW < HIGH"),
        (["--draws", "0"], "--draws"),
    ],
)
def test_bad_map_input_is_a_clear_error(tmp_path: Path, capsys, args: list[str], message: str):
    assert main(["map", *args, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err


def _split_map(where_high: bool) -> dm.MapRuns:
    """A 4 x 4 map on which integration has the better legitimacy exactly where trust >= 0.6
    (or everywhere), fragmentation elsewhere; other objectives tie."""
    s = dm.MapSettings(
        "municipality_building_housing",
        dm.Axis("trust.initial", (0.2, 0.4, 0.6, 0.8)),
        dm.Axis("parties.scale.resistance", (0.5, 0.83, 1.17, 1.5)),
    )
    v = np.zeros((4, 4, len(dm.DESIGNS), 5, len(dm.OBJECTIVES)))
    k = list(dm.OBJECTIVES).index("legitimacy")
    integ = [i for i, d in enumerate(dm.DESIGNS) if d[0] == "integration"]
    frag = [i for i, d in enumerate(dm.DESIGNS) if d[0] == "fragmentation"]
    for i, trust in enumerate(s.x.values):
        good, bad = (integ, frag) if (trust >= 0.6 or not where_high) else (frag, integ)
        v[i, :, good, :, k] = 0.1
        v[i, :, bad, :, k] = -0.1
    return dm.MapRuns(s, 1, v)


def test_statements_are_backed_by_prim_boxes_that_find_a_region_known_by_construction():
    res = dm.analyse(_split_map(True))
    st = next(
        x
        for x in res.statements
        if x["question"] == "integration beats fragmentation" and x["objective"] == "legitimacy"
    )
    assert st["winner"] in ("integration", "fragmentation")
    assert st["density"] >= dm.MIN_DENSITY and 0 < st["coverage"] <= 1
    lo, hi = st["limits"]["trust.initial"]
    # The boundary lies between the grid's 0.4 and 0.6, and the box holds exactly that side.
    if st["winner"] == "integration":
        assert "when trust.initial ≥" in st["text"] and 0.4 < lo <= 0.6
    else:
        assert "when trust.initial ≤" in st["text"] and 0.4 <= hi < 0.6
    assert st["density"] == pytest.approx(1.0) and st["coverage"] == pytest.approx(1.0)
    assert "parties.scale.resistance" not in st["text"]  # the axis that does not matter is not named
    # Everywhere: the unrestricted box, named as such.
    whole = dm.analyse(_split_map(False))
    st = next(
        x
        for x in whole.statements
        if x["question"] == "integration beats fragmentation" and x["objective"] == "legitimacy"
    )
    assert "Integration beats fragmentation on legitimacy across the whole map" in st["text"]
    assert st["coverage"] == pytest.approx(1.0) and st["density"] == pytest.approx(1.0)
    # Where nothing differs, the statement says they tie.
    tie = next(x for x in whole.statements if x["objective"] == "cost")
    assert "tie on cost" in tie["text"]


def test_an_interrupted_map_resumes_to_the_same_values(tmp_path: Path):
    from simulation.experiments.sweep import TaskEngine

    s = dm.MapSettings(
        "municipality_building_housing",
        dm.Axis("trust.initial", (0.3, 0.7)),
        dm.Axis("parties.scale.resistance", (0.8, 1.2)),
        draws=1,
        replications=1,
        citizens=100,
        months=24,
        seed=4,
    )

    class Dies(TaskEngine):
        """In-process engine that fails after its first batch of chunks (a killed run)."""

        calls = 0

        def map(self, fn, items):
            Dies.calls += 1
            if Dies.calls > 1:
                raise KeyboardInterrupt
            return super().map(fn, items)

    state = tmp_path / "state"
    with pytest.raises(KeyboardInterrupt), Dies(1) as engine:
        dm.evaluate(s, 4, engine, state, chunk=6)
    saved = sorted(state.glob("part-*.npy"))
    assert 0 < len(saved) < 6  # 36 runs in chunks of 6: some, not all, were kept
    with TaskEngine(1) as engine:
        resumed = dm.evaluate(s, 4, engine, state, chunk=6)
    with TaskEngine(1) as engine:
        fresh = dm.evaluate(s, 4, engine, None, chunk=6)
    assert resumed.runs == fresh.runs == 36
    assert np.array_equal(resumed.values, fresh.values)
