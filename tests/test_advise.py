"""Robust strategy search: ``egov-sim advise`` (design, CRN, Pareto set, regret, satisficing,
ranking flips, resume, bad input)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.advise import (
    LEVERS,
    OBJ_NAMES,
    advise,
    build_experiment,
    candidates,
    pareto_mask,
    stability_lines,
    strategies,
    thresholds_default,
)
from simulation.experiments.decision_map import DESIGNS
from simulation.experiments.design import make_design, run_info
from simulation.experiments.spec import apply_values, load_experiment
from simulation.experiments.sweep import prepare_out, run_batch, write_part
from simulation.io.scenario_io import ScenarioError, load_scenario

BASE = "municipality_building_housing"
TINY = {"n_strategies": 3, "n_scenarios": 4, "replications": 2, "months": 36, "citizens": 300}


def test_pareto_mask_keeps_exactly_the_non_dominated() -> None:
    # columns: cost (min), adoption (max)
    v = np.array([[1.0, 0.5], [2.0, 0.9], [2.0, 0.4], [1.0, 0.5], [3.0, 0.9]])
    keep = pareto_mask(v, np.array([-1.0, 1.0]))
    # 2 is dominated by 0; 4 by 1; equal rows 0 and 3 do not dominate each other.
    assert keep.tolist() == [True, True, False, True, False]


def test_candidates_are_a_fixed_named_set_the_same_for_every_master_seed() -> None:
    base = load_scenario(BASE).model_dump()
    cand = candidates(base, 14)
    names = [n for n, _ in cand]
    s = [x for _, x in cand]
    assert s[0] == {n: base[n.split(".")[0]][n.split(".", 1)[1]] for n in LEVERS}
    assert names[0].startswith("as written (")
    # The first nine cover all nine designs (service model x rollout) at the scenario's own levers.
    assert {(x["service.model"], x["rollout.strategy"]) for x in s[:9]} == set(DESIGNS)
    for x in s[1:9]:
        assert {k: v for k, v in x.items() if k not in ("service.model", "rollout.strategy")} == {
            k: v for k, v in s[0].items() if k not in ("service.model", "rollout.strategy")
        }
    assert len({json.dumps(x, sort_keys=True) for x in s}) == 14
    assert names[9:] == [f"sampled {i}" for i in range(9, 14)]
    # The master seed does not change the candidates; the candidate seed changes the sampled ones.
    a = build_experiment(BASE, seed=4, quick=False, **{**TINY, "n_strategies": 12})[1]
    b = build_experiment(BASE, seed=5, quick=False, **{**TINY, "n_strategies": 12})[1]
    assert a == b
    assert strategies(base, 14, seed=1)[:9] == s[:9] and strategies(base, 14, seed=1)[9:] != s[9:]
    for x in s[9:]:
        for name, spec in LEVERS.items():
            if isinstance(spec, list):
                assert x[name] in spec
            else:
                assert spec[0] <= x[name] <= spec[1]


def test_group_multiplier_scales_every_group_and_clips() -> None:
    base = load_scenario(BASE).model_dump()
    out = apply_values(base, {"parties.scale.resistance": 1.5, "departments.scale.readiness": 3.0})
    for sec in ("departments", "partners"):
        for g0, g1 in zip(base[sec]["groups"], out[sec]["groups"], strict=True):
            assert g1["resistance"] == pytest.approx(min(1.0, 1.5 * g0["resistance"]))
    assert all(g["readiness"] == 1.0 for g in out["departments"]["groups"])  # clipped
    assert out["partners"]["groups"][0]["readiness"] == base["partners"]["groups"][0]["readiness"]


def test_group_multiplier_in_an_experiment_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "e.toml"
    path.write_text(
        '[experiment]\nbase = "municipality_building_housing"\n[factors]\nparties.scale.resistance = [0.5, 11]\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"parties.scale.resistance = 11: a group multiplier must be"):
        load_experiment(path)


def test_design_is_strategies_times_scenarios_with_common_random_numbers() -> None:
    exp, strat, unc = build_experiment(BASE, seed=None, quick=False, **TINY)
    design = make_design(exp)
    assert design.points == len(strat) * len(unc) == 12
    for p, values in enumerate(design.values):
        s, u = divmod(p, len(unc))
        assert values == {**strat[s], **unc[u]}  # same uncertainty sample for every strategy
    # CRN: replication r has the same seed at every design point.
    seeds = {}
    for i in range(design.points * exp.replications):
        _, rep, seed = run_info(exp, i)
        seeds.setdefault(rep, set()).add(seed)
    assert all(len(v) == 1 for v in seeds.values()) and len(seeds) == 2


@pytest.fixture(scope="module")
def tiny_advice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adv") / "a"
    advise(
        BASE,
        out,
        workers=1,
        progress=False,
        n_strategies=3,
        n_scenarios=4,
        replications=2,
        months=36,
        citizens=300,
    )
    return out


def test_advise_writes_report_tables_and_figures(tiny_advice: Path) -> None:
    out = tiny_advice
    summary = pd.read_csv(out / "strategies.csv", index_col="strategy")
    assert sorted(summary.index) == [0, 1, 2] and summary["pareto"].any()
    assert sorted(summary["rank"]) == [1, 2, 3]
    text = (out / "report.md").read_text(encoding="utf-8")
    for needle in (
        "## Pareto set",
        "## Robustness",
        "## Which uncertainties flip the ranking",
        "as written (",
        "## Seed stability",
    ):
        assert needle in text
    for stem in (
        "advise_pareto",
        "advise_parallel",
        "advise_regret",
        "advise_flip_tradeoff",
        "advise_flip_boxes",
    ):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 5000
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert len(kpis) == 3 * 4 * 2 and kpis["error"].isna().all()
    boxes = pd.read_csv(out / "flip_boxes.csv")
    assert {"finding", "few_cases", "low_restricts", "high_restricts"} <= set(boxes.columns)


def test_pareto_flag_matches_the_strategy_means(tiny_advice: Path) -> None:
    summary = pd.read_csv(tiny_advice / "strategies.csv", index_col="strategy")
    v = summary[OBJ_NAMES].to_numpy()
    d = np.array([-1, -1, 1, -1, 1], dtype=float) * 1.0
    for i in range(len(v)):
        dominated = any(
            np.all(v[j] * d >= v[i] * d) and np.any(v[j] * d > v[i] * d) for j in range(len(v)) if j != i
        )
        assert bool(summary["pareto"].iloc[i]) == (not dominated)


def test_regret_is_zero_for_the_best_in_every_scenario(tiny_advice: Path) -> None:
    regret = pd.read_csv(tiny_advice / "regret.csv")
    assert (regret[OBJ_NAMES] >= -1e-12).all().all()
    mins = regret.groupby("scenario")[OBJ_NAMES].min()
    assert np.allclose(mins.to_numpy(), 0.0)
    summary = pd.read_csv(tiny_advice / "strategies.csv", index_col="strategy")
    for n in OBJ_NAMES:
        assert np.allclose(summary[f"max_regret_{n}"].sort_index(), regret.groupby("strategy")[n].max())


def test_flips_follow_the_scenario_scores(tiny_advice: Path) -> None:
    sc = pd.read_csv(tiny_advice / "scenarios.csv", index_col="scenario")
    assert (sc["flip"] == (sc["score_runner_up"] > sc["score_best"])).all()
    assert {"trust.initial", "parties.scale.resistance", "citizens.p", "citizens.q"} <= set(sc.columns)


def test_satisficing_share_follows_thresholds(tiny_advice: Path, tmp_path: Path) -> None:
    summary = pd.read_csv(tiny_advice / "strategies.csv", index_col="strategy")
    assert summary["satisficing_share"].between(0, 1).all()
    from simulation.experiments.advise import analyse_advice

    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("manifest.json", "advice.json", "kpis.parquet", "experiment.json"):
        (copy / name).write_bytes((tiny_advice / name).read_bytes())
    lax = {"adoption": 0.0, "collapse": 1.0, "first_service": 1e9, "legitimacy": 0.0, "cost": 1e9}
    analyse_advice(copy, lax)
    assert (pd.read_csv(copy / "strategies.csv")["satisficing_share"] == 1.0).all()
    strict = {**lax, "adoption": 2.0}
    analyse_advice(copy, strict)
    assert (pd.read_csv(copy / "strategies.csv")["satisficing_share"] == 0.0).all()


def test_resume_after_partial_run_gives_identical_bytes(tiny_advice: Path, tmp_path: Path) -> None:
    exp, _, _ = build_experiment(BASE, seed=None, quick=False, **TINY)
    out = tmp_path / "partial"
    prepare_out(exp, out, resume=False)
    write_part(out / "parts", list(range(0, 5)), *run_batch(exp, list(range(0, 5))))
    with pytest.raises(ScenarioError, match="add --resume"):
        advise(BASE, out, workers=1, progress=False, **_kw())
    advise(BASE, out, workers=1, progress=False, resume=True, **_kw())
    for name in ("kpis.parquet", "strategies.csv", "scenarios.csv", "regret.csv"):
        assert (out / name).read_bytes() == (tiny_advice / name).read_bytes(), name
    # A different design in the same folder is refused.
    with pytest.raises(ScenarioError, match="different experiment"):
        advise(BASE, out, workers=1, progress=False, resume=True, **{**_kw(), "n_scenarios": 5})


def _kw() -> dict:
    return {"n_strategies": 3, "n_scenarios": 4, "replications": 2, "months": 36, "citizens": 300}


@pytest.mark.slow
def test_two_workers_give_identical_bytes(tiny_advice: Path, tmp_path: Path) -> None:
    out = tmp_path / "w2"
    advise(BASE, out, workers=2, progress=False, **_kw())
    for name in ("kpis.parquet", "strategies.csv", "scenarios.csv", "regret.csv", "flip_boxes.csv"):
        assert (out / name).read_bytes() == (tiny_advice / name).read_bytes(), name


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--threshold", "adoption"], "expected OBJECTIVE=VALUE"),
        (["--threshold", "adoptoin=0.5"], "OBJECTIVE one of cost, first_service"),
        (["--threshold", "cost=cheap"], "is not a number"),
        (["--strategies", "1"], "at least 2"),
        (["--months", "5000"], "run.months = 5000"),
        (["--scenarios", "1"], "at least 2"),
    ],
)
def test_advise_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], needle: str
) -> None:
    out = tmp_path / "out"
    assert main(["advise", BASE, "--out", str(out), "--workers", "1", *args]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_advise_unknown_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["advise", "municipality_bulding", "--out", str(tmp_path / "o")]) == 2
    assert "municipality_building_housing" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["municipality_building_housing", "province_spatial_planning"])
def test_quick_mode_runs_on_shipped_scenarios(tmp_path: Path, scenario: str) -> None:
    start = time.perf_counter()
    assert main(["advise", scenario, "--quick", "--workers", "2", "--out", str(tmp_path / "q")]) == 0
    print(f"advise --quick {scenario}: {time.perf_counter() - start:.0f} s (benchmark figure, not asserted)")
    summary = pd.read_csv(tmp_path / "q" / "strategies.csv")
    assert len(summary) == 9 and summary["pareto"].sum() >= 1
    assert (tmp_path / "q" / "stability.json").exists()


def _box(number: int, density: float, cases: int, limits: dict, coverage: float = 1.0, points: int = 0):
    from simulation.experiments.discover import Box

    traj = pd.DataFrame({"coverage": [1.0, coverage], "density": [0.3, density], "mass": [1.0, 0.5]})
    traj["res_dim"], traj["n"] = [0, len(limits)], [20, points or cases]
    return Box(number, traj, 1, limits, coverage, density, 0.5, cases, points or cases)


UNC = pd.DataFrame({"trust.initial": [0.21, 0.4, 0.63, 0.79], "citizens.q": [0.04, 0.08, 0.12, 0.16]})


def test_flip_report_says_plainly_when_no_box_reaches_the_density_threshold() -> None:
    from simulation.experiments.advise import flip_lines

    case = np.array([True, False, True, False] * 8)
    box = _box(1, 0.5, 11, {"trust.initial": (0.276, 0.761)}, points=22)
    text = "\n".join(flip_lines([box], case, 19, True, UNC))
    assert "No region of the uncertainty space explains the flips: best box density 0.50 < 0.8" in text
    assert "not a finding" in text
    assert "**box 1**" not in text and "0.276" not in text  # its limits are not presented as a finding
    # Without a flip against the runner-up the case is "the best is not first".
    text = "\n".join(flip_lines([box], case, 19, False, UNC))
    assert "explains where strategy 19 is not first: best box density 0.50 < 0.8" in text


def test_flip_report_gives_only_the_restricting_side_and_flags_few_cases() -> None:
    from simulation.experiments.advise import flip_boxes_table, flip_lines

    case = np.array([True] * 4 + [False] * 28)
    # 0.21 and 0.16 are the sample's minimum and maximum: those bounds restrict nothing.
    box = _box(1, 1.0, 4, {"trust.initial": (0.21, 0.6256), "citizens.q": (0.05, 0.16)})
    text = "\n".join(flip_lines([box], case, 12, True, UNC))
    assert "**box 1**: trust.initial ≤ 0.6256 and citizens.q ≥ 0.05 —" in text
    assert "0.21 ≤" not in text
    assert "fitted to 4 cases, likely overfitted" in text
    both = _box(1, 0.9, 12, {"trust.initial": (0.3, 0.6)})
    text = "\n".join(flip_lines([both], np.array([True] * 12 + [False] * 20), 12, True, UNC))
    assert "0.3 ≤ trust.initial ≤ 0.6" in text and "overfitted" not in text
    table = flip_boxes_table([box], UNC).set_index("input")
    assert table.loc["trust.initial", ["low_restricts", "high_restricts"]].tolist() == [False, True]
    assert table.loc["citizens.q", ["low_restricts", "high_restricts"]].tolist() == [True, False]
    assert table["finding"].all() and table["few_cases"].all()


def test_flip_report_separates_a_second_box_below_the_threshold() -> None:
    from simulation.experiments.advise import flip_lines

    case = np.array([True] * 16 + [False] * 16)
    good = _box(1, 0.85, 12, {"trust.initial": (0.3, 0.79)}, coverage=0.7)
    weak = _box(2, 0.4, 3, {"citizens.q": (0.05, 0.1)})
    text = "\n".join(flip_lines([good, weak], case, 3, True, UNC))
    assert "**box 1**: trust.initial ≥ 0.3" in text
    assert "box 2: no further region (best box density 0.40 < 0.8; not a finding)" in text


def test_stability_is_perfect_for_identical_rankings_and_reported(tiny_advice: Path) -> None:
    summary = pd.read_csv(tiny_advice / "strategies.csv", index_col="strategy")
    _, same = stability_lines(summary, summary, 1, 2)
    assert same["best_agrees"] and same["spearman"] == pytest.approx(1.0) and same["stable"]
    assert same["top3_overlap"] == 1.0 and same["pareto_jaccard"] == 1.0
    reversed_ = summary.assign(score=-summary["score"])
    lines, rev = stability_lines(summary, reversed_, 1, 2)
    assert not rev["best_agrees"] and rev["spearman"] == pytest.approx(-1.0) and not rev["stable"]
    assert any("not stable across seeds" in ln for ln in lines)
    stab = json.loads((tiny_advice / "stability.json").read_text(encoding="utf-8"))
    other = pd.read_csv(tiny_advice / "stability" / "strategies.csv", index_col="strategy")
    assert stab["seed2"] == stab["seed"] + 1
    assert stab["best_seed2"] == int(other["score"].idxmax())
    assert -1.0 <= stab["spearman"] <= 1.0


def test_thresholds_are_absolute_the_same_for_both_seeds(tiny_advice: Path) -> None:
    base = load_scenario(BASE).model_dump()
    thr = thresholds_default(base)
    assert thr["adoption"] == (">=", 0.5) and thr["first_service"] == ("<=", 48.0)
    assert thr["legitimacy"] == (">=", base["citizens"]["initial_legitimacy"])

    def line(folder: Path) -> str:
        text = (folder / "report.md").read_text(encoding="utf-8")
        return next(ln for ln in text.splitlines() if ln.startswith("Satisficing thresholds:"))

    assert line(tiny_advice) == line(tiny_advice / "stability")
    assert "adoption >= 0.5" in line(tiny_advice)


def test_advise_ensemble_gives_each_uncertainty_scenario_one_draw(tmp_path: Path) -> None:
    exp, strat, unc = build_experiment(BASE, seed=3, quick=False, ensemble="prior:3", **TINY)
    assert len(exp.draws) == 3 and exp.draw_axis == 1
    assert [exp.point_draws[p] for p in range(len(exp.points))] == [
        (p % len(unc)) % 3 for p in range(len(strat) * len(unc))
    ]
    # Levers and uncertainty inputs are pinned: a draw never overwrites them.
    assert set(LEVERS) | {"trust.initial", "citizens.p", "citizens.q"} <= exp.pinned()
    out = tmp_path / "e"
    advise(BASE, out, workers=1, progress=False, stability=False, ensemble="prior:3", **_kw())
    kpis = pd.read_parquet(out / "kpis.parquet")
    n_u = 4
    assert (kpis["draw"] == (kpis["point"] % n_u) % 3).all()
    assert pd.read_csv(out / "draws.csv")["draw"].tolist() == [0, 1, 2]
    assert "Parameter ensemble `prior:3`" in (out / "report.md").read_text(encoding="utf-8")
