"""The ten validation patterns as records (brief §5), with the per-run measures they need.

Adding a pattern: a :class:`~.pattern_engine.Pattern` in :data:`SPECS` with its texts,
its conditions (scenario parameters; a function of the cell if they depend on it) and
its claims (:class:`~.pattern_engine.Claim`: measure, conditions A and B, direction,
test); a per-run measure below if no outcome field is it already.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .pattern_cells import Cell
from .pattern_checks import global_1, global_6, global_7
from .pattern_engine import Claim, Conditions, Pattern, RunMeasure, Sides, Values, run_value
from .runs import rmst_agreement
from .stats import ALPHA

# ---------------------------------------------------------------------- per-run measures


def _delay(o: Mapping[str, Any]) -> float:
    """Mean months from opening to agreement over the parties that agreed (nan if none)."""
    d = [p["agreed_at"] - p["opened_at"] for p in o["parties"] if p["agreed_at"] is not None]
    return float(np.mean(d)) if d else float("nan")


def _late(o: Mapping[str, Any]) -> float:
    """Mean peak resistance after agreement over the parties that agreed (nan if none)."""
    v = [p["late_peak"] for p in o["parties"] if p["agreed_at"] is not None]
    return float(np.mean(v)) if v else float("nan")


def _over200(o: Mapping[str, Any]) -> float:
    """Share of the run's failing parties whose overrun exceeds 200 % of their investment."""
    v = [p["overrun_ratio"] > 2.0 for p in o["parties"] if p["failures"] > 0]
    return float(np.mean(v)) if v else float("nan")


def _first(series: np.ndarray, level: float) -> float:
    hit = np.nonzero(np.asarray(series) >= level)[0]
    return float(hit[0]) if hit.size else float(len(series))


def _smooth(x: np.ndarray, w: int = 12) -> np.ndarray:
    return np.convolve(x, np.ones(w) / w, mode="same")


def is_s_shaped(adoption: np.ndarray) -> bool:
    """Interior peak of the 12-month smoothed adoption rate, with the rate at both ends
    below 70 % of the peak (accelerates, then decelerates)."""
    inc = _smooth(np.diff(np.asarray(adoption, float)))
    if inc.size < 26:
        return False
    k = int(np.argmax(inc))
    peak = inc[k]
    if peak <= 0 or k < 12 or k > inc.size - 13:
        return False
    return bool(inc[6] < 0.7 * peak and inc[-7] < 0.7 * peak)


def _s_shaped(o: Mapping[str, Any]) -> float:
    """1 if adoption is S-shaped, 0 if not; nan if it stayed below 5 % (never took off)."""
    adoption = o["series"]["adoption"]
    return float(is_s_shaped(adoption)) if adoption[-1] >= 0.05 else float("nan")


def _integrated_trust(failed: bool) -> RunMeasure:
    """Mean final trust of integrated parties with (``failed``) / without own failures."""

    def mean(o: Mapping[str, Any]) -> float:
        v = [p["trust"] for p in o["parties"] if p["state"] == "integrated" and (p["failures"] > 0) == failed]
        return float(np.mean(v)) if v else float("nan")

    return mean


def _rise(o: Mapping[str, Any]) -> float:
    """Largest monthly rise of the mean trust in the programme."""
    return float(max(np.diff(o["series"]["mean_trust"]).max(), 0.0))


def _fall(o: Mapping[str, Any]) -> float:
    """Largest monthly fall of the mean trust in the programme."""
    return float(max(-np.diff(o["series"]["mean_trust"]).min(), 0.0))


def _t25(o: Mapping[str, Any]) -> float:
    return _first(o["series"]["adoption"], 0.25)


def _abs_legitimacy_change(o: Mapping[str, Any]) -> float:
    return abs(run_value(o, "legitimacy_change"))


# ---------------------------------------------------------------------- cell facts and hooks


def _two_waves(c: Cell) -> str | None:
    if c.waves < 2:
        return (
            f"{c.parties} parties fit in one wave of {c.config.rollout.wave_size}: a phased rollout "
            "is a big-bang here"
        )
    return None


def _horizon(c: Cell) -> dict[str, Any]:
    return {"horizon": c.config.run.months + 1}


def _finished(c: Cell, v: Values) -> tuple[np.ndarray, ...]:
    """Months until every party finished, a run that never finished counting the horizon."""
    h = _horizon(c)["horizon"]
    return tuple(np.where(np.isfinite(x), x, h) for x in (v("phased"), v("big_bang")))


OFFERS_4 = (0.0, 0.375, 1.5)  # compensation offer per party as a share of its investment


def _trusts_4(c: Cell) -> tuple[float, float, float]:
    t = c.trust
    return (round(max(0.05, t - 0.2), 3), round(t, 3), round(min(0.95, t + 0.2), 3))


def _conditions_4(c: Cell) -> Conditions:
    budget = min(10_000.0, 2.0 * c.parties * OFFERS_4[-1] * c.investment)
    return {
        f"trust {t}|offer {k}": {
            "trust.initial": t,
            "negotiation.compensation_offer": round(o * c.investment, 6),
            "negotiation.compensation_budget": budget,
            "rollout.strategy": "big_bang",
        }
        for t in _trusts_4(c)
        for k, o in enumerate(OFFERS_4)
    }


def _facts_4(c: Cell) -> dict[str, Any]:
    lo, mid, hi = _trusts_4(c)
    return {
        "lo": lo,
        "mid": mid,
        "hi": hi,
        "o1": OFFERS_4[1] * c.investment,
        "o2": OFFERS_4[2] * c.investment,
    }


def _rm4(pick: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Sides:
    """Sides ``pick(r, o1, o2)`` of r(trust 0/1/2 = low/own/high, offer 0/1/2) in months."""

    def sides(c: Cell, v: Values) -> tuple[np.ndarray, np.ndarray]:
        f = _facts_4(c)
        return pick(lambda t, k: v(f"trust {_trusts_4(c)[t]}|offer {k}"), f["o1"], f["o2"])

    return sides


POLDER_OFFER = 0.625  # high-polder compensation per party, as a share of its investment
POLDER = ("low polder", "high polder")


def _conditions_9(c: Cell) -> Conditions:
    offer = round(POLDER_OFFER * c.investment, 6)
    budget = {"negotiation.compensation_budget": max(offer * c.parties, 0.0)}
    low = {
        "negotiation.consultation": 0.0,
        "negotiation.package_breadth": 1,
        "negotiation.compensation_offer": 0.0,
    }
    high = {
        "negotiation.consultation": 0.8,
        "negotiation.package_breadth": 3,
        "negotiation.compensation_offer": offer,
    }
    return {"low polder": {**low, **budget}, "high polder": {**high, **budget}}


def _durable(c: Cell, v: Values) -> tuple[np.ndarray, ...]:
    # Durability can only be compared where both conditions had parties that agreed.
    both = np.isfinite(v("low polder", _delay)) & np.isfinite(v("high polder", _delay))
    return tuple(np.where(both, v(k), np.nan) for k in POLDER)


# ---------------------------------------------------------------------- the patterns

W = f"Wilcoxon signed-rank on CRN pairs, p < {ALPHA}"
FI = ("fragmentation", "integration")
RM = "restricted mean months to agreement (60)"
BB = {"rollout.strategy": "big_bang"}

SPECS: dict[int, Pattern] = {
    s.number: s
    for s in (
        Pattern(
            1, "S-shaped adoption; Bass limit",
            "S-shaped adoption; exact Bass curve in the full-mixing, constant-quality limit.",
            "by construction",
            "citizens adopt with the Bass hazard p + q x (adopted share of contacts) in adoption.Population; "
            "the S is that term's logistic solution, modulated by service quality",
            "Global: the adoption code alone against the discrete Bass map (section 1). Per cell: the scenario "
            "with its own service model, 2,000 citizens on the small-world network, 300 months.",
            "share of runs (with adoption ≥ 5 % by month 300) whose smoothed monthly adoption rate has an interior "
            f"peak, against 0.5: exact binomial test, p < {ALPHA}.",
            reps=40,
            conditions={"own model, 300 months": {"run.months": 300}},
            claims=(
                Claim("adoption is S-shaped (interior peak of the smoothed monthly adoption rate)", "share 0.5",
                      "share of S-shaped runs", "share of runs with adoption ≥ 5 % at month 300 that are S-shaped",
                      +1, _s_shaped, of=("own model, 300 months",), test="share"),
            ),
            primary="adoption is S-shaped", heavy=True, keep=("adoption",), global_check=global_1,
        ),
        Pattern(
            2, "Rollout crossover",
            "Under high resistance / low trust phased rollout fails or stalls less than big-bang; under low "
            "resistance / high trust big-bang finishes sooner.",
            "emergent",
            "no term compares rollouts: it arises from change load raising resistance and the failure hazard, "
            "waves waiting for each other, and the collapse share",
            "rollout.strategy phased (the scenario's wave size and gap) vs big_bang. Hostile cells test failure, "
            "friendly cells speed; default cells make no claim.",
            f"hostile: exact McNemar on stalled-or-collapsed, p < {ALPHA}, phased lower; friendly: {W}, months "
            "until every party finished, big-bang lower.",
            reps=60,
            conditions={ro: {"rollout.strategy": ro} for ro in ("phased", "big_bang")},
            requires=(
                lambda c: "the crossover claims something only at the hostile and friendly ends"
                if c.region.name == "default" else None,
                _two_waves,
            ),
            claims=(
                Claim("hostile: phased fails or stalls less than big-bang", "phased", "big-bang",
                      "stalled or collapsed (share of runs)", +1, "bad_end", of=("phased", "big_bang"),
                      test="mcnemar", regions=("hostile",)),
                Claim("friendly: big-bang finishes sooner than phased", "phased", "big-bang",
                      "months until every party finished (censored at {horizon})", -1, "months_to_finish",
                      sides=_finished, regions=("friendly",)),
            ),
            facts=_horizon,
            map_title="hostile: share stalled/collapsed, big-bang − phased; friendly: months to finish, "
            "big-bang − phased",
        ),
        Pattern(
            3, "Integration vs fragmentation",
            "Integration reaches higher service quality and legitimacy at higher cost and later; fragmentation "
            "reaches the public sooner and cheaper, with the government invisible.",
            "emergent",
            "quality and legitimacy come from links that need agreement, integration and pairwise trust; the cost, "
            "duration and visibility contrasts are inputs of the two service-model profiles",
            "service.model fragmentation vs integration, 2,000 citizens on the small-world network, the scenario's "
            "months; applicable only with channel partners.",
            f"{W}, every sub-claim in the claimed direction.",
            reps=40,
            conditions={m: {"service.model": m} for m in FI},
            requires=(
                lambda c: "no channel partner with reach > 0: fragmentation (hired counters) would reach nobody"
                if c.channel_reach <= 0 else None,
            ),
            claims=(
                Claim("integration reaches higher service quality", *FI, "final service quality", +1,
                      "final_service_quality"),
                Claim("integration reaches higher legitimacy", *FI, "final legitimacy", +1, "final_legitimacy"),
                Claim("integration costs more", *FI, "total cost (M€)", +1, "total_cost"),
                Claim("fragmentation reaches the public sooner", *FI,
                      "months to 25 % adoption (censored at {horizon})", +1, _t25),
                Claim("government invisible under fragmentation", *FI, "|legitimacy change|", +1,
                      _abs_legitimacy_change),
            ),
            facts=_horizon, primary="integration reaches higher service quality", heavy=True, keep=("adoption",),
        ),
        Pattern(
            4, "Compensation and trust as lubricant",
            "Compensation and initial trust speed up agreement with diminishing returns; compensation without "
            "trust buys little.",
            "by construction",
            "compensation's utility is compensation_weight x T x (1 − exp(−offer/compensation_scale)) in "
            "negotiation.compensation_value: concave and multiplied by trust",
            "big-bang (every party at the table from month 0); trust.initial = the cell's trust − 0.2, itself, "
            "+ 0.2 (clipped to 0.05–0.95) x negotiation.compensation_offer 0, 0.375 and 1.5 x the party's "
            "investment; budget never binding.",
            f"{W} on the restricted mean time to agreement (60-month horizon, non-agreement counts 60).",
            reps=30,
            conditions=_conditions_4,
            requires=(
                lambda c: "parties invest nothing in this scenario, so offers scaled to the investment are zero"
                if c.investment <= 0 else None,
            ),
            claims=(
                Claim("compensation speeds up agreement (trust {mid})", "offer 0", "offer {o1:.2g} M€", RM, -1,
                      rmst_agreement, sides=_rm4(lambda r, o1, o2: (r(1, 0), r(1, 1)))),
                Claim("diminishing returns of compensation (trust {mid})", "months saved per M€, 0→{o1:.2g}",
                      "per M€, {o1:.2g}→{o2:.2g}", "months saved per M€", -1, rmst_agreement,
                      sides=_rm4(lambda r, o1, o2: ((r(1, 0) - r(1, 1)) / o1, (r(1, 1) - r(1, 2)) / (o2 - o1)))),
                Claim("initial trust speeds up agreement (offer {o1:.2g} M€)", "trust {lo}", "trust {hi}", RM, -1,
                      rmst_agreement, sides=_rm4(lambda r, o1, o2: (r(0, 1), r(2, 1)))),
                Claim("diminishing returns of trust", "saved {lo}→{mid}", "saved {mid}→{hi}", "months saved", -1,
                      rmst_agreement, sides=_rm4(lambda r, o1, o2: (r(0, 1) - r(1, 1), r(1, 1) - r(2, 1)))),
                Claim("compensation without trust buys little (trust as lubricant)", "saved at trust {lo}",
                      "saved at trust {hi}", "months saved by the offer 0 → {o2:.2g} M€", +1, rmst_agreement,
                      sides=_rm4(lambda r, o1, o2: (r(0, 0) - r(0, 2), r(2, 0) - r(2, 2)))),
            ),
            facts=_facts_4, primary="compensation without trust buys little (trust as lubricant)",
        ),
        Pattern(
            5, "Package deals and detail",
            "Package deals agree more often than single-issue deals; a detailed start slows agreement.",
            "by construction",
            "the recognised benefit sums the party's weights over the package_breadth bundled objectives, and "
            "issues_to_settle = 1 + issues_per_objective x breadth + detail_issues x detail (negotiation.py)",
            "big-bang; negotiation.package_breadth 1 vs 3; negotiation.initial_detail 0 vs 1.",
            f"{W}, both sub-claims in the claimed direction.",
            reps=40,
            conditions={
                "breadth 1": {**BB, "negotiation.package_breadth": 1},
                "breadth 3": {**BB, "negotiation.package_breadth": 3},
                "detail 0": {**BB, "negotiation.initial_detail": 0.0},
                "detail 1": {**BB, "negotiation.initial_detail": 1.0},
            },
            claims=(
                Claim("package deals agree more often", "single issue", "breadth 3", "share of parties that agreed",
                      +1, "agreement_share", of=("breadth 1", "breadth 3")),
                Claim("a detailed start slows agreement", "detail 0", "detail 1",
                      "months from opening to agreement (agreed parties)", +1, _delay),
            ),
            primary="package deals agree more often",
        ),
        Pattern(
            6, "Trust asymmetry and path dependence",
            "Trust asymmetry and path dependence after failures.",
            "by construction",
            "trust.update: a positive event closes build_rate 0.10 of the gap, a negative one removes loss_rate "
            "0.30 of the trust and ceiling_damage 0.15 of the ceiling",
            "Global: trust.update with the default rates (section text). Per cell: the scenario as it is.",
            f"{W}: largest monthly fall of mean trust > largest rise; integrated parties with own failures end "
            "with lower trust than those without (within run).",
            reps=60,
            conditions={"scenario": {}},
            claims=(
                Claim("trust falls faster than it rises", "largest monthly rise", "largest monthly fall",
                      "mean trust in the programme, per run", +1,
                      sides=lambda c, v: (v("scenario", _rise), v("scenario", _fall))),
                Claim("parties with own failures end with lower trust", "integrated, no failure",
                      "integrated, ≥ 1 failure", "mean final trust (runs with both kinds)", -1,
                      sides=lambda c, v: (v("scenario", _integrated_trust(False)), v("scenario", _integrated_trust(True)))),
            ),
            primary="trust falls faster than it rises", keep=("mean_trust",), global_check=global_6,
        ),
        Pattern(
            7, "Heavy-tailed overruns",
            "Heavy-tailed cost overruns, fatter with more concurrent change.",
            "by construction",
            "implementation.overrun draws a Lomax (Pareto II) overrun with tail index overrun_alpha / "
            "(1 + load_tail x L): heavy-tailed and fatter under load by definition",
            "Global: Hill index of implementation.overrun draws at load 0 and 1. Per cell: phased with waves of "
            "one party vs big-bang at the scenario's failure hazard.",
            f"{W} on the share of a run's failing parties whose overrun exceeds 200 % of their investment "
            "(runs without failures in either condition are not informative).",
            reps=60,
            conditions={
                "phased, waves of 1": {"rollout.strategy": "phased", "rollout.wave_size": 1},
                "big-bang": BB,
            },
            claims=(
                Claim("more concurrent change, more overruns above 200 %", "phased, waves of 1", "big-bang",
                      "share of the run's failing parties with overrun > 200 % of investment", +1, _over200),
            ),
            primary="more concurrent change, more overruns above 200 %", global_check=global_7,
            calibration_target="the share of IT projects overrunning by more than 200 % (it_overrun_200)",
        ),
        Pattern(
            8, "Learning and adjustment",
            "Learning plus adjustment lowers failure in phased rollouts compared with a purely rational strategy.",
            "by construction",
            "the failure hazard carries (1 + uncertainty_hazard x u), which only a learning strategy shrinks, "
            "and (1 − pace_cut), which adjustment sets while alarmed (implementation.failure_hazard); "
            "experience (learning by doing) is shared by both strategies",
            "phased rollout (the scenario's waves); learning.strategy rational with adjustment 0 vs learning "
            "with adjustment 0.5.",
            f"{W} on implementation failures per run.",
            reps=60,
            conditions={
                "rational, no adjustment": {"rollout.strategy": "phased", "learning.strategy": "rational",
                                            "learning.adjustment": 0.0},
                "learning, adjustment 0.5": {"rollout.strategy": "phased", "learning.strategy": "learning",
                                             "learning.adjustment": 0.5},
            },
            requires=(_two_waves,),
            claims=(
                Claim("learning plus adjustment lowers failures (phased)", "rational, no adjustment",
                      "learning, adjustment 0.5", "implementation failures per run", -1, "failures"),
            ),
            primary="learning plus adjustment lowers failures (phased)",
        ),
        Pattern(
            9, "Polder trade-off",
            "More consultation, package deals and compensation make agreement slower to reach but more durable.",
            "emergent",
            "slowness comes from consultation_slowdown, durability from involvement and compensation effects, "
            "and both are mixed with agreement odds and collapses; no single term sets the net trade-off",
            "low polder = consultation 0, package breadth 1, no compensation; high polder = consultation 0.8, "
            "breadth 3, offer 0.625 x the party's investment (budget for every party).",
            f"{W}, every sub-claim in the claimed direction; durability is compared on runs where both "
            "conditions had agreed parties.",
            reps=60,
            conditions=_conditions_9,
            claims=(
                Claim("polder: agreement slower to reach", *POLDER, "months from opening to agreement (agreed parties)",
                      +1, _delay),
                Claim("polder: fewer withdrawals", *POLDER, "withdrawals (runs where both had agreements)", -1,
                      "withdrawals", sides=_durable),
                Claim("polder: less resistance after agreement", *POLDER,
                      "peak resistance after agreement (agreed parties)", -1, _late),
            ),
            primary="polder: agreement slower to reach",
        ),
        Pattern(
            10, "Clear scope",
            "A clear, bounded scope at the start reduces late resistance compared with a vague one.",
            "by construction",
            "resistance.scope_surprise adds scope_surprise x hit x (1 − clarity) at agreement, and only "
            "0.5 x scope_surprise x hit x clarity at the start",
            "negotiation.scope_clarity 0.2 (vague) vs 0.9 (clear).",
            f"{W} on the mean peak resistance after agreement of the agreed parties.",
            reps=80,
            conditions={f"clarity {v}": {"negotiation.scope_clarity": v} for v in (0.2, 0.9)},
            claims=(
                Claim("a clear scope reduces late resistance", "clarity 0.2", "clarity 0.9",
                      "peak resistance after agreement (agreed parties)", -1, _late),
            ),
            primary="a clear scope reduces late resistance",
        ),
    )
}  # fmt: skip
