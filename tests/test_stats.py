"""simulation.runs.stats and its use in compare / analyse: paired tests agree with scipy and
statsmodels, one censoring rule, ANOVA exact for unbalanced designs, effect sizes without
quadratic memory, scorecard colours by direction."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats as sps

from simulation.config import RELATIONS
from simulation.experiments import analyse as an, analyse_figures
from simulation.outputs.kpis import KPI_INFO
from simulation.outputs.plotting import cell_score, relative_scores
from simulation.outputs.scorecard import CELLS, PERSPECTIVES
from simulation.runs import stats
from simulation.runs.compare import kpi_table, scorecard_table, verdict


# ---------------------------------------------------------------------- paired tests
@pytest.fixture
def crn_pairs() -> tuple[np.ndarray, np.ndarray]:
    """20 replications of A and B sharing a large common component (as with CRN)."""
    rng = np.random.default_rng(2024)
    common = rng.normal(50, 10, 20)
    return common + rng.normal(0, 1, 20), common + 0.6 + rng.normal(0, 1, 20)


def test_paired_test_agrees_with_scipy_and_statsmodels(crn_pairs) -> None:
    from statsmodels.stats.weightstats import DescrStatsW

    a, b = crn_pairs
    res = stats.paired(a, b)
    ref = sps.ttest_rel(b, a)
    assert res.n == 20
    assert res.t == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p == pytest.approx(ref.pvalue, rel=1e-10)
    d = DescrStatsW(b - a)
    lo, hi = d.tconfint_mean(alpha=0.05)
    assert (res.ci_low, res.ci_high) == (pytest.approx(lo, rel=1e-12), pytest.approx(hi, rel=1e-12))
    t_sm, p_sm, _ = d.ttest_mean(0.0)
    assert res.p == pytest.approx(p_sm, rel=1e-10) and res.t == pytest.approx(t_sm, rel=1e-12)


def test_pairing_matters_on_common_random_numbers(crn_pairs) -> None:
    """With a shared component the paired test finds the shift, Welch's unpaired test does not
    (criterion: paired p < 0.05 < Welch p on this fixed-seed fixture)."""
    a, b = crn_pairs
    assert stats.paired(a, b).p < 0.05 < stats.welch_p(a, b)
    assert stats.welch_p(a, b) == pytest.approx(sps.ttest_ind(b, a, equal_var=False).pvalue)


def test_paired_drops_incomplete_pairs_and_handles_degenerate_input() -> None:
    res = stats.paired(np.array([1.0, np.nan, 3.0, 4.0]), np.array([2.0, 5.0, np.nan, 6.0]))
    assert res.n == 2 and res.difference == pytest.approx(1.5)
    one = stats.paired(np.array([1.0]), np.array([3.0]))
    assert one.n == 1 and one.difference == 2.0 and math.isnan(one.ci_low) and math.isnan(one.p)
    same = stats.paired(np.ones(5), np.ones(5))
    assert same.difference == 0 and math.isnan(same.p)


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001, 0.5])
    assert np.allclose(stats.holm(p), multipletests(p, method="holm")[1])
    with_nan = stats.holm(np.array([0.01, np.nan, 0.04]))
    assert math.isnan(with_nan[1]) and np.allclose(
        with_nan[[0, 2]], multipletests([0.01, 0.04], method="holm")[1]
    )


# ---------------------------------------------------------------------- effect sizes
def test_cliffs_delta_equals_the_all_pairs_definition() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        a = rng.integers(0, 6, rng.integers(1, 40)).astype(float)  # many ties
        b = rng.integers(0, 6, rng.integers(1, 40)).astype(float)
        brute = float(np.sign(np.subtract.outer(b, a)).mean())
        assert stats.cliffs_delta(a, b) == pytest.approx(brute, abs=1e-12)
    assert stats.cliffs_delta(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 1.0
    assert math.isnan(stats.cliffs_delta(np.array([]), np.array([1.0])))


def test_cliffs_delta_needs_no_quadratic_memory() -> None:
    """2 x 10^6 values: all pairs would be 4 * 10^12 cells (32 TB as float64); sorting takes
    well under a few seconds (criterion: < 10 s)."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 1_000_000), rng.normal(0.1, 1, 1_000_000)
    start = time.perf_counter()
    d = stats.cliffs_delta(a, b)
    assert time.perf_counter() - start < 10
    # Theory for two normals with shift 0.1 and unit SD: 2 * Phi(0.1 / sqrt(2)) - 1 = 0.0564.
    assert d == pytest.approx(2 * sps.norm.cdf(0.1 / math.sqrt(2)) - 1, abs=0.004)


# ---------------------------------------------------------------------- ANOVA
def _unbalanced_2x2() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for a in ("integration", "fragmentation"):
        for b in ("big_bang", "phased"):
            for rep in range(10):
                y = 1.0 + 0.8 * (a == "fragmentation") + 0.3 * (b == "phased") + rng.normal(0, 1)
                rows.append({"service.model": a, "rollout.strategy": b, "replication": rep, "y": y})
    frame = pd.DataFrame(rows)
    # Drop 3 runs of one cell and 1 of another: unbalanced.
    drop = frame.index[(frame["service.model"] == "integration") & (frame["rollout.strategy"] == "phased")][
        :3
    ]
    return frame.drop([*drop, 35]).reset_index(drop=True)


def _rss(x: np.ndarray, y: np.ndarray) -> float:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(((y - x @ beta) ** 2).sum())


def test_anova_on_an_unbalanced_design_is_statsmodels_type_ii() -> None:
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    frame = _unbalanced_2x2()
    got = stats.anova(frame, "y", ["service.model", "rollout.strategy"]).set_index("term")
    data = frame.rename(columns={"service.model": "a", "rollout.strategy": "b"})
    ref = anova_lm(ols("y ~ C(a) + C(b) + C(a):C(b)", data=data).fit(), typ=2)
    assert got.loc["service.model", "F"] == pytest.approx(ref.loc["C(a)", "F"], rel=1e-10)
    assert got.loc["rollout.strategy", "p"] == pytest.approx(ref.loc["C(b)", "PR(>F)"], rel=1e-10)
    assert got.loc["service.model x rollout.strategy", "ss"] == pytest.approx(ref.loc["C(a):C(b)", "sum_sq"])
    # Independent check by least squares: type II SS(a) = RSS(b only) - RSS(a + b).
    y = frame["y"].to_numpy()
    one = np.ones(len(y))
    xa = (frame["service.model"] == "fragmentation").to_numpy(float)
    xb = (frame["rollout.strategy"] == "phased").to_numpy(float)
    ss_a = _rss(np.column_stack([one, xb]), y) - _rss(np.column_stack([one, xa, xb]), y)
    assert got.loc["service.model", "ss"] == pytest.approx(ss_a, rel=1e-10)
    # The balanced-design formula (n_level * (level mean - grand mean)²) differs here.
    grand = y.mean()
    balanced = sum(len(g) * (g["y"].mean() - grand) ** 2 for _, g in frame.groupby("service.model"))
    assert abs(balanced - ss_a) > 1e-3
    typ3 = stats.anova(frame, "y", ["service.model", "rollout.strategy"], typ=3).set_index("term")
    ref3 = anova_lm(ols("y ~ C(a, Sum) * C(b, Sum)", data=data).fit(), typ=3)
    assert typ3.loc["service.model", "F"] == pytest.approx(ref3.loc["C(a, Sum)", "F"], rel=1e-10)


def test_analyse_effects_use_statsmodels_on_unbalanced_sweeps() -> None:
    frame = _unbalanced_2x2().rename(columns={"y": "final_adoption"})
    frame["point"] = frame.groupby(["service.model", "rollout.strategy"], sort=False).ngroup()
    eff = an.effects(frame, ["service.model", "rollout.strategy"], ["final_adoption"], months=12)
    ref = stats.anova(frame, "final_adoption", ["service.model", "rollout.strategy"]).set_index("term")
    got = eff.set_index("term")
    for term in ("service.model", "rollout.strategy", "service.model x rollout.strategy"):
        assert got.loc[term, "p"] == pytest.approx(ref.loc[term, "p"], rel=1e-12)
    assert (got["anova_type"] == "II").all() and (got["n"] == len(frame)).all()


# ---------------------------------------------------------------------- censoring
def _crn_frame(labels=("A", "B")) -> pd.DataFrame:
    """Replications 0..7 of A and B; months_to_50pct_adoption null = never (horizon 60)."""
    a = [20, 30, np.nan, 25, np.nan, 40, 35, np.nan]
    b = [18, np.nan, np.nan, 22, 50, 33, 30, 41]
    rows = []
    for label, vals in zip(labels, (a, b), strict=True):
        for rep, v in enumerate(vals):
            row = dict.fromkeys(KPI_INFO, 1.0)
            row |= {"label": label, "replication": rep, "months_to_50pct_adoption": v}
            rows.append(row)
    return pd.DataFrame(rows)


def test_censoring_is_the_same_in_compare_and_analyse() -> None:
    frame = _crn_frame()
    table = kpi_table(frame, ("A", "B"), (60, 60)).set_index("kpi").loc["months_to_50pct_adoption"]
    # analyse sees the same runs as two design points of a sweep.
    sweep = frame.assign(point=(frame.label == "B").astype(int), f=frame.label)
    summary = an.point_summary(sweep, ["f"], ["months_to_50pct_adoption"], 60).set_index("point")
    assert table["A"] == pytest.approx(summary.loc[0, "mean"])
    assert table["B"] == pytest.approx(summary.loc[1, "mean"])
    assert (
        (table["reached_a"], table["reached_b"])
        == (summary.loc[0, "reached"], summary.loc[1, "reached"])
        == (5, 6)
    )
    # Never = horizon + 1: the restricted mean of A is (20+30+25+40+35+3*61)/8.
    assert table["A"] == pytest.approx((20 + 30 + 25 + 40 + 35 + 3 * 61) / 8)
    pw = an.pairwise(sweep, ["f"], ["months_to_50pct_adoption"], 60).iloc[0]
    assert pw["difference"] == pytest.approx(table["difference"])
    assert pw["p_paired"] == pytest.approx(table["p_paired"])
    assert pw["n_pairs"] == table["n_pairs"] == 8


def test_difference_among_reached_pairs_needs_enough_pairs() -> None:
    frame = _crn_frame()
    row = kpi_table(frame, ("A", "B"), (60, 60)).set_index("kpi").loc["months_to_50pct_adoption"]
    assert row["both_reached"] == 4 < stats.MIN_REACHED
    assert math.isnan(row["difference_reached"]) and math.isnan(row["reached_ci_low"])
    assert stats.TOO_FEW in row["note"]
    more = stats.compare_times(
        "months_to_50pct_adoption", np.array([10, 12, 14, 16, 18.0]), np.array([9, 10, 13, 15, 15.0]), 60
    )
    assert more.among_reached is not None and more.among_reached.n == 5
    assert more.among_reached.difference == pytest.approx(-1.6)


def test_censor_only_touches_time_to_event_kpis() -> None:
    assert stats.censor("months_to_agreement", [3, None, np.nan], 24).tolist() == [3, 25, 25]
    assert np.isnan(stats.censor("cost_per_adopter", [None], 24)[0])
    assert stats.censor("adjustments", [2], 24).tolist() == [2]  # unit "months", but a count


# ---------------------------------------------------------------------- scorecard colours
def test_cell_colour_follows_the_direction_that_is_better() -> None:
    assert cell_score("share", "higher", 1.0) == 1.0 and cell_score("share", "higher", 0.0) == -1.0
    assert cell_score("0..1", "lower", 0.0) == 1.0 and cell_score("0..1", "lower", 1.0) == -1.0
    assert cell_score("M€", "higher", 10.0) == pytest.approx(0.5)
    assert cell_score("M€", "higher", -10.0) == pytest.approx(-0.5)
    assert cell_score("failures", "lower", 0.0) == 1.0 and cell_score("failures", "lower", 0.5) == 0.0
    assert math.isnan(cell_score("share", "higher", math.nan))
    # Every unit used in CELLS has a rule (no unit falls through to the share rule unnoticed).
    units = {c.unit for row in CELLS.values() for c in row.values()}
    assert units <= {"share", "0..1", "Δ 0..1", "M€", "failures"}


def test_relative_scores_put_the_best_condition_in_green() -> None:
    stack = np.array([[[0.2, 5.0]], [[0.8, 1.0]]])  # two conditions, one row, two cells
    directions = np.array([["higher", "lower"]])
    s = relative_scores(stack, directions)
    assert s[1, 0, 0] == 1.0 and s[0, 0, 0] == -1.0  # higher is better: 0.8 best
    assert s[1, 0, 1] == 1.0 and s[0, 0, 1] == -1.0  # lower is better: 1.0 best


def test_verdict_and_scorecard_table() -> None:
    assert verdict("higher", 0.1, 0.3) == "B better" and verdict("lower", 0.1, 0.3) == "B worse"
    assert (
        verdict("lower", -0.3, -0.1) == "B better" and verdict("higher", -0.1, 0.2) == "no clear difference"
    )
    rows = []
    for label, shift in (("A", 0.0), ("B", 0.1)):
        for rep in range(4):
            cells = {f"sc.{p}.{r}": 0.5 + shift + 0.01 * rep for p in PERSPECTIVES for r in RELATIONS}
            rows.append({"label": label, "replication": rep, **cells})
    table = scorecard_table(pd.DataFrame(rows), ("A", "B")).set_index(["perspective", "relation"])
    assert len(table) == 20 and table["difference"].to_numpy() == pytest.approx(0.1)
    lower = table.loc[("organisational", "employees")]  # peak resistance: lower is better
    assert lower["direction"] == "lower is better" and lower["verdict"] == "B worse"
    assert table.loc[("organisational", "citizens"), "verdict"] == "B better"


# ---------------------------------------------------------------------- reports and figures
QUICK_TINY = """\
# Tiny quick test experiment.
[experiment]
base = "municipality_building_housing"
design = "factorial"
replications = 50
months = 12
seed = 7

[fixed]
citizens.count = 300

[factors]
service.model = ["integration", "fragmentation"]
rollout.strategy = ["big_bang", "phased"]

[outputs]
timeseries = ["adoption", "integration"]

[quick]
replications = 3
"""


@pytest.fixture(scope="module")
def quick_sweep(tmp_path_factory: pytest.TempPathFactory):
    from simulation.experiments.spec import load_experiment
    from simulation.experiments.sweep import sweep

    folder = tmp_path_factory.mktemp("quick")
    path = folder / "tiny.toml"
    path.write_text(QUICK_TINY, encoding="utf-8")
    out = folder / "out"
    sweep(load_experiment(path, quick=True), out, workers=1, progress=False)
    return out


def test_quick_sweep_carries_a_banner_in_the_report_and_every_figure(quick_sweep, monkeypatch) -> None:
    drawn: dict[str, Figure] = {}
    save = analyse_figures._save  # every figure is saved through it

    def record(fig, folder, stem):
        drawn[stem] = fig
        return save(fig, folder, stem)

    monkeypatch.setattr(analyse_figures, "_save", record)
    an.analyse(quick_sweep)
    report = (quick_sweep / "report.md").read_text(encoding="utf-8")
    assert an.QUICK_BANNER in report.split("\n## ")[0]  # before the first section
    assert "3 replications" in report
    assert {"adoption", "scorecards"} <= set(drawn)
    for stem, fig in drawn.items():
        assert fig.get_suptitle().startswith(an.QUICK_BANNER), stem
    # The scorecard figure: colour by direction, legend from worse to better.
    bar = [
        ax
        for ax in drawn["scorecards"].axes
        if [t.get_text() for t in ax.get_yticklabels()][-1:] == ["better"]
    ]
    assert bar and [t.get_text() for t in bar[0].get_yticklabels()] == ["worse", "neutral", "better"]
    # A full sweep has no banner (the flag comes from the manifest).
    an._BANNER["text"] = ""


def test_pairwise_is_paired_on_the_sweep_and_welch_is_kept_for_reference(quick_sweep) -> None:
    pw = pd.read_csv(quick_sweep / "pairwise.csv")
    kpis = pd.read_parquet(quick_sweep / "kpis.parquet")
    row = pw[(pw.kpi == "total_cost") & (pw.factor == "service.model")].iloc[0]
    a = kpis[kpis.point == row.point_a].sort_values("replication")["total_cost"].to_numpy()
    b = kpis[kpis.point == row.point_b].sort_values("replication")["total_cost"].to_numpy()
    assert row.p_paired == pytest.approx(sps.ttest_rel(b, a).pvalue, rel=1e-9)
    assert row.p_welch == pytest.approx(sps.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-9)
    assert row.n_pairs == 3


def test_sensitivity_flags_indices_whose_interval_exceeds_them(tmp_path) -> None:
    from simulation.experiments.spec import load_experiment
    from simulation.experiments.sweep import sweep

    path = tmp_path / "sobol.toml"
    path.write_text(
        "[experiment]\nbase = 'municipality_building_housing'\ndesign = 'sobol'\nsamples = 8\n"
        "replications = 1\nmonths = 36\nseed = 1\n[fixed]\ncitizens.count = 200\n"
        "[factors]\ncitizens.q = {min = 0.02, max = 0.3}\ncitizens.p = {min = 0.001, max = 0.05}\n"
        "service.model = ['integration', 'fragmentation']\n"
        "[outputs]\nkpis = ['final_adoption', 'total_cost']\ntimeseries = ['adoption']\nscorecard = false\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    sweep(load_experiment(path), out, workers=1, progress=False)
    an.analyse(out)
    sens = pd.read_csv(out / "sensitivity.csv")
    assert (sens["ci_exceeds_value"] == (sens["conf"] > sens["value"].abs())).all()
    report = (out / "report.md").read_text(encoding="utf-8")
    n = int(sens["ci_exceeds_value"].sum())
    assert f"**{n} of {len(sens)} indices** have an interval wider than their value" in report
    assert report.count("⚠") >= n  # each flagged index is marked in its table
    assert "Sum of S1 per KPI" in report


# ---------------------------------------------------------------------- the app's scorecard
def test_app_scorecard_colour_does_not_depend_on_the_other_runs_and_has_a_legend() -> None:
    from conftest import run_model, small_config

    from simulation.outputs.scorecard import compute
    from simulation.webapp.charts import score_colour, scorecard_cells, scorecard_html

    a = run_model(small_config(service_model="integration"), months=36)
    b = run_model(small_config(service_model="fragmentation"), months=36)
    mat = compute(a)
    cells = [c for row in scorecard_cells(mat) for c in row]
    want = [
        score_colour(cell_score(CELLS[p][r].unit, CELLS[p][r].direction, mat[p][r]))
        for p in PERSPECTIVES
        for r in RELATIONS
    ]
    assert [c["colour"] for c in cells] == want
    alone, together = scorecard_html(a), scorecard_html([a, b], ["A", "B"])
    # A's cells have the same colours next to B as alone (no scaling across runs).
    for colour in want:
        assert together.count(colour) >= alone.count(colour) >= 1
    for word in ("worse", "better", "n/a"):
        assert word in alone


def test_anova_drops_inestimable_interactions() -> None:
    """An empty cell (all its runs failed) or one run per cell: the interaction goes, the
    main effects are still those of statsmodels' additive model."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    frame = _unbalanced_2x2()
    gap = frame[~((frame["service.model"] == "fragmentation") & (frame["rollout.strategy"] == "phased"))]
    got = stats.anova(gap, "y", ["service.model", "rollout.strategy"]).set_index("term")
    assert "service.model x rollout.strategy" not in got.index
    data = gap.rename(columns={"service.model": "a", "rollout.strategy": "b"})
    ref = anova_lm(ols("y ~ C(a) + C(b)", data=data).fit(), typ=2)
    assert got.loc["service.model", "p"] == pytest.approx(ref.loc["C(a)", "PR(>F)"], rel=1e-10)
    single = frame.groupby(["service.model", "rollout.strategy"]).head(1)
    one = stats.anova(single, "y", ["service.model", "rollout.strategy"]).set_index("term")
    assert list(one.index) == ["service.model", "rollout.strategy", "Residual"]
    assert one.loc["Residual", "df"] == 1 and np.isfinite(one.loc["service.model", "p"])
