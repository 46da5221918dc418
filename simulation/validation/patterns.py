"""Pattern-oriented validation (brief §5) as a map: every pattern in every cell.

A *cell* is one shipped scenario (found in ``scenarios/`` at run time) in one
trust/resistance *region* (:data:`REGIONS`, the only place the regions are defined). For
every pattern and cell, the conditions the pattern talks about are set through scenario
parameters only; every condition runs the same replication seeds (common random numbers,
CRN); each sub-claim gets a paired test, an effect (mean paired difference B − A with its
95 % t interval and d_z) and a verdict from one rule (:func:`verdict`); the cell's verdict
combines its sub-claims (:func:`combine`). Nothing here feeds back into the model.

The whole design is laid out first (:func:`plan`), every distinct run is executed once
(a run shared by two patterns, e.g. the scenario's own rollout, is reused), then every
cell is evaluated. Each job carries its seed, so results do not depend on the number of
workers. ``quick`` uses :data:`QUICK_REPS` replications: a smoke test, not the verdicts.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from .. import implementation, trust
from ..config import ImplementationConfig, ScenarioConfig, TrustConfig
from ..plotting import save
from ..scenario_io import ScenarioError, shipped_scenarios
from ..seeds import replication_seeds
from . import bass
from .runs import Job, Pool, rmst_agreement, scenario
from .stats import ALPHA, hill, mcnemar, paired, share_test
from .verdicts import MIN_INFORMATIVE, QUICK_REPS, VERDICTS, combine, verdict

# ---------------------------------------------------------------------- regions and verdicts


@dataclass(frozen=True)
class Region:
    """Every party group's resistance x ``resistance_scale`` (clipped to 1) and
    trust.initial ``trust`` (None: the scenario's own value)."""

    name: str
    resistance_scale: float
    trust: float | None

    def describe(self) -> str:
        if self.resistance_scale == 1.0 and self.trust is None:
            return "the scenario's own resistance and trust.initial"
        t = "the scenario's trust.initial" if self.trust is None else f"trust.initial {self.trust}"
        return f"every group's resistance x{self.resistance_scale} (clipped to 1), {t}"


#: The trust/resistance regions of the map (the one place they are defined).
REGIONS: tuple[Region, ...] = (
    Region("hostile", 1.5, 0.3),
    Region("default", 1.0, None),
    Region("friendly", 0.5, 0.7),
)

#: Regions a quick run covers unless told otherwise (keeps it within CI's two minutes).
QUICK_REGIONS: tuple[str, ...] = ("hostile", "friendly")

# ---------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One scenario in one region, with the facts the designs need."""

    scenario: str
    region: Region
    config: ScenarioConfig  # the scenario in the region (party-level population)

    @property
    def key(self) -> str:
        return f"{self.scenario}|{self.region.name}"

    @property
    def parties(self) -> int:
        return self.config.departments.count + self.config.partners.count

    @property
    def trust(self) -> float:
        return float(self.config.trust.initial)

    @property
    def investment(self) -> float:
        """Investment per party (M€) of the scenario's own service model."""
        model = self.config.service.model
        return float(getattr(self.config, model if model != "hybrid" else "integration").investment)

    @property
    def waves(self) -> int:
        """Waves a phased rollout with the scenario's wave size would have."""
        return math.ceil(self.parties / self.config.rollout.wave_size)

    @property
    def channel_reach(self) -> float:
        return float(sum(g.reach for g in self.config.partners.groups))


def region_sets(region: Region) -> dict[str, Any]:
    return {} if region.trust is None else {"trust.initial": region.trust}


#: The parameter draw the map runs under (``validate-patterns --ensemble``); None = as written.
ENSEMBLE_DRAW: dict[str, float] | None = None

#: Patterns whose measure is (also) a calibration target of ``egov-sim calibrate``: their
#: verdicts are marked and not counted as validation.
CALIBRATION_TARGETS = {7: "the share of IT projects overrunning by more than 200 % (it_overrun_200)"}


def make_config(cell_scenario: str, region: Region, sets: Mapping[str, Any], heavy: bool) -> ScenarioConfig:
    """The scenario in ``region`` with ``sets``; party-level patterns use 300 citizens
    under full mixing, ``heavy`` ones (adoption matters) 2,000 on the small-world network.
    Under :data:`ENSEMBLE_DRAW` the draw is applied too, except to what the condition and
    the region set (they are the pattern's own conditions)."""
    kw = {"citizens": 2000, "network": "small_world"} if heavy else {"citizens": 300, "network": "complete"}
    cfg = scenario(
        {**region_sets(region), **sets}, base=cell_scenario, resistance_scale=region.resistance_scale, **kw
    )
    if ENSEMBLE_DRAW:
        from ..ensemble import configure

        cfg = configure(cfg, ENSEMBLE_DRAW, {*sets, *region_sets(region)}, "validation ensemble draw")
    return cfg


def cells(scenarios: Sequence[str] | None = None, regions: Sequence[str] | None = None) -> list[Cell]:
    """Every shipped scenario (or those named) x every region (or those named)."""
    names = list(scenarios) if scenarios else list(shipped_scenarios())
    regs = [r for r in REGIONS if not regions or r.name in regions]
    return [Cell(s, r, make_config(s, r, {}, heavy=False)) for s in names for r in regs]


# ---------------------------------------------------------------------- measures


def _col(outs: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if o.get(key) is None else float(o[key]) for o in outs])


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


def _trust_gap(o: Mapping[str, Any]) -> tuple[float, float]:
    """Mean final trust of integrated parties without / with own failures (nan if none)."""
    ok = [p for p in o["parties"] if p["state"] == "integrated"]
    no = [p["trust"] for p in ok if p["failures"] == 0]
    yes = [p["trust"] for p in ok if p["failures"] > 0]
    return (float(np.mean(no)) if no else float("nan"), float(np.mean(yes)) if yes else float("nan"))


def _swing(o: Mapping[str, Any]) -> tuple[float, float]:
    """Largest monthly rise and largest monthly fall of the mean trust in the programme."""
    d = np.diff(o["series"]["mean_trust"])
    return float(max(d.max(), 0.0)), float(max(-d.min(), 0.0))


# ---------------------------------------------------------------------- sub-claims


def sub(text: str, a: str, b: str, measure: str, res: dict[str, Any], direction: int) -> dict[str, Any]:
    """One sub-claim: B − A is claimed to have sign ``direction``."""
    return {
        "text": text,
        "a": a,
        "b": b,
        "measure": measure,
        "direction": direction,
        "result": res,
        "verdict": verdict(res, direction),
    }


def na_sub(text: str, reason: str) -> dict[str, Any]:
    return {
        "text": text,
        "a": "",
        "b": "",
        "measure": "",
        "direction": 0,
        "result": None,
        "verdict": "not applicable",
        "reason": reason,
    }


Conditions = dict[str, dict[str, Any]]
Outcomes = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass
class Spec:
    """One pattern: its label, its design per cell and its evaluation per cell."""

    number: int
    title: str
    claim: str
    label: Literal["emergent", "by construction"]
    label_reason: str
    setup: str
    criterion: str
    reps: int
    design: Callable[[Cell], Conditions | str]  # str: why the cell is not applicable
    evaluate: Callable[[Cell, Outcomes], list[dict[str, Any]]]
    primary: str  # the sub-claim whose effect the map shows
    heavy: bool = False
    keep: tuple[str, ...] = ()


def _two_waves(c: Cell) -> str | None:
    if c.waves < 2:
        return (
            f"{c.parties} parties fit in one wave of {c.config.rollout.wave_size}: a phased rollout "
            "is a big-bang here"
        )
    return None


# Pattern 1 ------------------------------------------------------------------
def design_1(c: Cell) -> Conditions | str:
    return {"own model, 300 months": {"run.months": 300}}


def eval_1(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    outs = res["own model, 300 months"]
    took_off = [o for o in outs if o["series"]["adoption"][-1] >= 0.05]
    s = np.array([is_s_shaped(o["series"]["adoption"]) for o in took_off], bool)
    return [
        sub(
            "adoption is S-shaped (interior peak of the smoothed monthly adoption rate)",
            "share 0.5",
            "share of S-shaped runs",
            "share of runs with adoption ≥ 5 % at month 300 that are S-shaped",
            share_test(s),
            +1,
        )
    ]


# Pattern 2 ------------------------------------------------------------------
def design_2(c: Cell) -> Conditions | str:
    if c.region.name == "default":
        return "the crossover claims something only at the hostile and friendly ends"
    return _two_waves(c) or {ro: {"rollout.strategy": ro} for ro in ("phased", "big_bang")}


def eval_2(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    ph, bb = res["phased"], res["big_bang"]
    if c.region.name == "hostile":
        return [
            sub(
                "hostile: phased fails or stalls less than big-bang",
                "phased",
                "big-bang",
                "stalled or collapsed (share of runs)",
                mcnemar(_col(ph, "bad_end").astype(bool), _col(bb, "bad_end").astype(bool)),
                +1,
            )
        ]
    horizon = c.config.run.months + 1
    fin = [
        np.where(np.isfinite(v), v, horizon)
        for v in (_col(ph, "months_to_finish"), _col(bb, "months_to_finish"))
    ]
    return [
        sub(
            "friendly: big-bang finishes sooner than phased",
            "phased",
            "big-bang",
            f"months until every party finished (censored at {horizon})",
            paired(*fin),
            -1,
        )
    ]


# Pattern 3 ------------------------------------------------------------------
def design_3(c: Cell) -> Conditions | str:
    if c.channel_reach <= 0:
        return "no channel partner with reach > 0: fragmentation (hired counters) would reach nobody"
    return {m: {"service.model": m} for m in ("fragmentation", "integration")}


def eval_3(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    fr, it = res["fragmentation"], res["integration"]
    horizon = c.config.run.months + 1
    t25 = [np.array([_first(o["series"]["adoption"], 0.25) for o in x]) for x in (fr, it)]
    pair = ("fragmentation", "integration")
    return [
        sub("integration reaches higher service quality", *pair, "final service quality",
            paired(_col(fr, "final_service_quality"), _col(it, "final_service_quality")), +1),
        sub("integration reaches higher legitimacy", *pair, "final legitimacy",
            paired(_col(fr, "final_legitimacy"), _col(it, "final_legitimacy")), +1),
        sub("integration costs more", *pair, "total cost (M€)",
            paired(_col(fr, "total_cost"), _col(it, "total_cost")), +1),
        sub("fragmentation reaches the public sooner", *pair,
            f"months to 25 % adoption (censored at {horizon})", paired(*t25), +1),
        sub("government invisible under fragmentation", *pair, "|legitimacy change|",
            paired(np.abs(_col(fr, "legitimacy_change")), np.abs(_col(it, "legitimacy_change"))), +1),
    ]  # fmt: skip


# Pattern 4 ------------------------------------------------------------------
OFFERS_4 = (0.0, 0.375, 1.5)  # compensation offer per party as a share of its investment


def _trusts_4(c: Cell) -> tuple[float, float, float]:
    t = c.trust
    return (round(max(0.05, t - 0.2), 3), round(t, 3), round(min(0.95, t + 0.2), 3))


def design_4(c: Cell) -> Conditions | str:
    if c.investment <= 0:
        return "parties invest nothing in this scenario, so offers scaled to the investment are zero"
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


def eval_4(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    lo, mid, hi = _trusts_4(c)
    rm = {k: np.array([rmst_agreement(o) for o in v]) for k, v in res.items()}
    inv = c.investment
    o1, o2 = OFFERS_4[1] * inv, OFFERS_4[2] * inv

    def r(t: float, k: int) -> np.ndarray:
        return rm[f"trust {t}|offer {k}"]

    m = "restricted mean months to agreement (60)"
    return [
        sub(f"compensation speeds up agreement (trust {mid})", "offer 0", f"offer {o1:.2g} M€", m,
            paired(r(mid, 0), r(mid, 1)), -1),
        sub(f"diminishing returns of compensation (trust {mid})", f"months saved per M€, 0→{o1:.2g}",
            f"per M€, {o1:.2g}→{o2:.2g}", "months saved per M€",
            paired((r(mid, 0) - r(mid, 1)) / o1, (r(mid, 1) - r(mid, 2)) / (o2 - o1)), -1),
        sub(f"initial trust speeds up agreement (offer {o1:.2g} M€)", f"trust {lo}", f"trust {hi}", m,
            paired(r(lo, 1), r(hi, 1)), -1),
        sub("diminishing returns of trust", f"saved {lo}→{mid}", f"saved {mid}→{hi}", "months saved",
            paired(r(lo, 1) - r(mid, 1), r(mid, 1) - r(hi, 1)), -1),
        sub("compensation without trust buys little (trust as lubricant)", f"saved at trust {lo}",
            f"saved at trust {hi}", f"months saved by the offer 0 → {o2:.2g} M€",
            paired(r(lo, 0) - r(lo, 2), r(hi, 0) - r(hi, 2)), +1),
    ]  # fmt: skip


# Pattern 5 ------------------------------------------------------------------
def design_5(c: Cell) -> Conditions | str:
    bb = {"rollout.strategy": "big_bang"}
    return {
        "breadth 1": {**bb, "negotiation.package_breadth": 1},
        "breadth 3": {**bb, "negotiation.package_breadth": 3},
        "detail 0": {**bb, "negotiation.initial_detail": 0.0},
        "detail 1": {**bb, "negotiation.initial_detail": 1.0},
    }


def eval_5(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    return [
        sub("package deals agree more often", "single issue", "breadth 3", "share of parties that agreed",
            paired(_col(res["breadth 1"], "agreement_share"), _col(res["breadth 3"], "agreement_share")), +1),
        sub("a detailed start slows agreement", "detail 0", "detail 1",
            "months from opening to agreement (agreed parties)",
            paired(np.array([_delay(o) for o in res["detail 0"]]), np.array([_delay(o) for o in res["detail 1"]])), +1),
    ]  # fmt: skip


# Pattern 6 ------------------------------------------------------------------
def design_6(c: Cell) -> Conditions | str:
    return {"scenario": {}}


def eval_6(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    outs = res["scenario"]
    rise, fall = np.array([_swing(o) for o in outs]).T
    no, yes = np.array([_trust_gap(o) for o in outs]).T
    return [
        sub("trust falls faster than it rises", "largest monthly rise", "largest monthly fall",
            "mean trust in the programme, per run", paired(rise, fall), +1),
        sub("parties with own failures end with lower trust", "integrated, no failure",
            "integrated, ≥ 1 failure", "mean final trust (runs with both kinds)", paired(no, yes), -1),
    ]  # fmt: skip


# Pattern 7 ------------------------------------------------------------------
def design_7(c: Cell) -> Conditions | str:
    return {
        "phased, waves of 1": {"rollout.strategy": "phased", "rollout.wave_size": 1},
        "big-bang": {"rollout.strategy": "big_bang"},
    }


def eval_7(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    a, b = (np.array([_over200(o) for o in res[k]]) for k in ("phased, waves of 1", "big-bang"))
    return [
        sub("more concurrent change, more overruns above 200 %", "phased, waves of 1", "big-bang",
            "share of the run's failing parties with overrun > 200 % of investment", paired(a, b), +1),
    ]  # fmt: skip


# Pattern 8 ------------------------------------------------------------------
def design_8(c: Cell) -> Conditions | str:
    return _two_waves(c) or {
        "rational, no adjustment": {
            "rollout.strategy": "phased",
            "learning.strategy": "rational",
            "learning.adjustment": 0.0,
        },
        "learning, adjustment 0.5": {
            "rollout.strategy": "phased",
            "learning.strategy": "learning",
            "learning.adjustment": 0.5,
        },
    }


def eval_8(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    a, b = "rational, no adjustment", "learning, adjustment 0.5"
    return [
        sub("learning plus adjustment lowers failures (phased)", a, b, "implementation failures per run",
            paired(_col(res[a], "failures"), _col(res[b], "failures")), -1),
    ]  # fmt: skip


# Pattern 9 ------------------------------------------------------------------
POLDER_OFFER = 0.625  # high-polder compensation per party, as a share of its investment


def design_9(c: Cell) -> Conditions | str:
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


def eval_9(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    lo, hi = res["low polder"], res["high polder"]
    # Durability can only be compared where both conditions had parties that agreed.
    both = np.isfinite([_delay(o) for o in lo]) & np.isfinite([_delay(o) for o in hi])
    wd = [np.where(both, _col(x, "withdrawals"), np.nan) for x in (lo, hi)]
    pair = ("low polder", "high polder")
    return [
        sub("polder: agreement slower to reach", *pair, "months from opening to agreement (agreed parties)",
            paired(np.array([_delay(o) for o in lo]), np.array([_delay(o) for o in hi])), +1),
        sub("polder: fewer withdrawals", *pair, "withdrawals (runs where both had agreements)", paired(*wd), -1),
        sub("polder: less resistance after agreement", *pair, "peak resistance after agreement (agreed parties)",
            paired(np.array([_late(o) for o in lo]), np.array([_late(o) for o in hi])), -1),
    ]  # fmt: skip


# Pattern 10 -----------------------------------------------------------------
def design_10(c: Cell) -> Conditions | str:
    return {f"clarity {v}": {"negotiation.scope_clarity": v} for v in (0.2, 0.9)}


def eval_10(c: Cell, res: Outcomes) -> list[dict[str, Any]]:
    a, b = (np.array([_late(o) for o in res[k]]) for k in ("clarity 0.2", "clarity 0.9"))
    return [
        sub("a clear scope reduces late resistance", "clarity 0.2", "clarity 0.9",
            "peak resistance after agreement (agreed parties)", paired(a, b), -1),
    ]  # fmt: skip


W = f"Wilcoxon signed-rank on CRN pairs, p < {ALPHA}"
SPECS: dict[int, Spec] = {
    s.number: s
    for s in (
        Spec(
            1, "S-shaped adoption; Bass limit",
            "S-shaped adoption; exact Bass curve in the full-mixing, constant-quality limit.",
            "by construction",
            "citizens adopt with the Bass hazard p + q x (adopted share of contacts) in adoption.Population; "
            "the S is that term's logistic solution, modulated by service quality",
            "Global: the adoption code alone against the discrete Bass map (section 1). Per cell: the scenario "
            "with its own service model, 2,000 citizens on the small-world network, 300 months.",
            "share of runs (with adoption ≥ 5 % by month 300) whose smoothed monthly adoption rate has an interior "
            f"peak, against 0.5: exact binomial test, p < {ALPHA}.",
            40, design_1, eval_1, "adoption is S-shaped", heavy=True, keep=("adoption",),
        ),
        Spec(
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
            60, design_2, eval_2, "",
        ),
        Spec(
            3, "Integration vs fragmentation",
            "Integration reaches higher service quality and legitimacy at higher cost and later; fragmentation "
            "reaches the public sooner and cheaper, with the government invisible.",
            "emergent",
            "quality and legitimacy come from links that need agreement, integration and pairwise trust; the cost, "
            "duration and visibility contrasts are inputs of the two service-model profiles",
            "service.model fragmentation vs integration, 2,000 citizens on the small-world network, the scenario's "
            "months; applicable only with channel partners.",
            f"{W}, every sub-claim in the claimed direction.",
            40, design_3, eval_3, "integration reaches higher service quality", heavy=True, keep=("adoption",),
        ),
        Spec(
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
            30, design_4, eval_4, "compensation without trust buys little (trust as lubricant)",
        ),
        Spec(
            5, "Package deals and detail",
            "Package deals agree more often than single-issue deals; a detailed start slows agreement.",
            "by construction",
            "the recognised benefit sums the party's weights over the package_breadth bundled objectives, and "
            "issues_to_settle = 1 + issues_per_objective x breadth + detail_issues x detail (negotiation.py)",
            "big-bang; negotiation.package_breadth 1 vs 3; negotiation.initial_detail 0 vs 1.",
            f"{W}, both sub-claims in the claimed direction.",
            40, design_5, eval_5, "package deals agree more often",
        ),
        Spec(
            6, "Trust asymmetry and path dependence",
            "Trust asymmetry and path dependence after failures.",
            "by construction",
            "trust.update: a positive event closes build_rate 0.10 of the gap, a negative one removes loss_rate "
            "0.30 of the trust and ceiling_damage 0.15 of the ceiling",
            "Global: trust.update with the default rates (section text). Per cell: the scenario as it is.",
            f"{W}: largest monthly fall of mean trust > largest rise; integrated parties with own failures end "
            "with lower trust than those without (within run).",
            60, design_6, eval_6, "trust falls faster than it rises", keep=("mean_trust",),
        ),
        Spec(
            7, "Heavy-tailed overruns",
            "Heavy-tailed cost overruns, fatter with more concurrent change.",
            "by construction",
            "implementation.overrun draws a Lomax (Pareto II) overrun with tail index overrun_alpha / "
            "(1 + load_tail x L): heavy-tailed and fatter under load by definition",
            "Global: Hill index of implementation.overrun draws at load 0 and 1. Per cell: phased with waves of "
            "one party vs big-bang at the scenario's failure hazard.",
            f"{W} on the share of a run's failing parties whose overrun exceeds 200 % of their investment "
            "(runs without failures in either condition are not informative).",
            60, design_7, eval_7, "more concurrent change, more overruns above 200 %",
        ),
        Spec(
            8, "Learning and adjustment",
            "Learning plus adjustment lowers failure in phased rollouts compared with a purely rational strategy.",
            "by construction",
            "the failure hazard carries (1 + uncertainty_hazard x u), which only a learning strategy shrinks, "
            "and (1 − pace_cut), which adjustment sets while alarmed (implementation.failure_hazard); "
            "experience (learning by doing) is shared by both strategies",
            "phased rollout (the scenario's waves); learning.strategy rational with adjustment 0 vs learning "
            "with adjustment 0.5.",
            f"{W} on implementation failures per run.",
            60, design_8, eval_8, "learning plus adjustment lowers failures (phased)",
        ),
        Spec(
            9, "Polder trade-off",
            "More consultation, package deals and compensation make agreement slower to reach but more durable.",
            "emergent",
            "slowness comes from consultation_slowdown, durability from involvement and compensation effects, "
            "and both are mixed with agreement odds and collapses; no single term sets the net trade-off",
            "low polder = consultation 0, package breadth 1, no compensation; high polder = consultation 0.8, "
            "breadth 3, offer 0.625 x the party's investment (budget for every party).",
            f"{W}, every sub-claim in the claimed direction; durability is compared on runs where both "
            "conditions had agreed parties.",
            60, design_9, eval_9, "polder: agreement slower to reach",
        ),
        Spec(
            10, "Clear scope",
            "A clear, bounded scope at the start reduces late resistance compared with a vague one.",
            "by construction",
            "resistance.scope_surprise adds scope_surprise x hit x (1 − clarity) at agreement, and only "
            "0.5 x scope_surprise x hit x clarity at the start",
            "negotiation.scope_clarity 0.2 (vague) vs 0.9 (clear).",
            f"{W} on the mean peak resistance after agreement of the agreed parties.",
            80, design_10, eval_10, "a clear scope reduces late resistance",
        ),
    )
}  # fmt: skip


# ---------------------------------------------------------------------- global checks


def trust_path(events: Sequence[int], cfg: TrustConfig, t0: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Trust and ceiling after a sequence of events (+1 positive, -1 negative, size 1)."""
    t, c = np.array(t0), np.array(1.0)
    ts, cs = [float(t)], [float(c)]
    for e in events:
        t, c = trust.update(t, c, float(e > 0), float(e < 0), cfg)
        ts.append(float(t))
        cs.append(float(c))
    return np.array(ts), np.array(cs)


def global_1(quick: bool, img_dir: Path, master: int) -> dict[str, Any]:
    if quick:
        cases = bass.check(pairs=bass.PAIRS[:1], sizes=(50_000,), seeds=3, small_world_n=20_000)
    else:
        cases = bass.check()
    plot_bass(cases, img_dir / "bass.png")
    full = [c for c in cases if c.network == "complete" and c.n == max(x.n for x in cases)]
    worst = max(c.max_dev_discrete for c in full)
    return {
        "bass": [{k: getattr(c, k) for k in ("p", "q", "n", "network", "seeds", "max_dev_discrete", "max_dev_continuous")} for c in cases],
        "text": f"Analytical check (global): at {full[0].n:,} citizens under full mixing the mean curve stays within "
        f"{worst:.4f} of the discrete Bass map (criterion 0.01): **{'holds' if worst <= 0.01 else 'does not hold'}**.",
        "verdict": "holds" if worst <= 0.01 else "does not hold",
    }  # fmt: skip


def global_6(quick: bool, img_dir: Path, master: int) -> dict[str, Any]:
    cfg = TrustConfig()
    back, _ = trust_path([-1] + [1] * 200, cfg)
    regain = int(np.argmax(back[1:] >= back[0])) if np.any(back[1:] >= back[0]) else -1
    clean, _ = trust_path([1] * 60, cfg)
    three, ceil3 = trust_path([1] * 10 + [-1] * 3 + [1] * 47, cfg)
    ok = (regain > 1 or regain < 0) and three[-1] < clean[-1] - 0.05
    return {
        "regain_events": regain,
        "trust_after_3_failures": float(three[-1]),
        "trust_clean": float(clean[-1]),
        "text": f"Mechanism check (global, deterministic): from trust 0.6 one negative event drops trust to "
        f"{back[1]:.2f} and {regain} positive events are needed to regain 0.6; after three failures trust "
        f"converges to the damaged ceiling {ceil3[-1]:.2f} instead of {clean[-1]:.2f}: "
        f"**{'holds' if ok else 'does not hold'}** (by construction).",
        "verdict": "holds" if ok else "does not hold",
    }


def global_7(quick: bool, img_dir: Path, master: int) -> dict[str, Any]:
    icfg = ImplementationConfig()
    rng = np.random.default_rng(master + 70)
    n = 4000 if quick else 20_000
    h = {
        load: hill(np.array([implementation.overrun(1.0, load, rng, icfg) for _ in range(n)]), 0.05)
        for load in (0.0, 1.0)
    }
    ok = h[1.0] < h[0.0] and h[0.0] < 4
    return {
        "hill_mechanism": {str(k): v for k, v in h.items()},
        "text": f"Mechanism check (global): Hill tail index (top 5 % of {n:,} draws of implementation.overrun) "
        f"{h[0.0]:.2f} at load 0 and {h[1.0]:.2f} at load 1 (parameter: {icfg.overrun_alpha} and "
        f"{icfg.overrun_alpha / (1 + icfg.load_tail):.2f}): **{'holds' if ok else 'does not hold'}** (by construction).",
        "verdict": "holds" if ok else "does not hold",
    }  # fmt: skip


GLOBALS: dict[int, Callable[[bool, Path, int], dict[str, Any]]] = {1: global_1, 6: global_6, 7: global_7}


def plot_bass(cases: list[bass.BassCase], path: Path) -> None:
    pairs = sorted({(c.p, c.q) for c in cases}, key=lambda x: x[0] + x[1])
    fig = Figure(figsize=(4.2 * len(pairs), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(pairs)))
    for ax, (p, q) in zip(axes, pairs, strict=True):
        sub_ = [c for c in cases if (c.p, c.q) == (p, q)]
        months = sub_[0].mean.size - 1
        t = np.arange(months + 1)
        ax.plot(t, bass.bass_discrete(p, q, months), "k-", lw=2.5, alpha=0.35, label="discrete map")
        ax.plot(t, bass.bass_continuous(p, q, t), "k--", lw=1, label="continuous Bass")
        for c in sub_:
            ax.plot(t, c.mean, lw=1, label=f"{c.network} n={c.n:,} (dev {c.max_dev_discrete:.3f})")
        ax.set(title=f"p={p:.4g}, q={q:.4g} per month", xlabel="month", ylabel="adoption")
        ax.legend(fontsize=7)
    save(fig, path)


# ---------------------------------------------------------------------- running the map


@dataclass
class Context:
    quick: bool = False
    workers: int = 1
    master: int = 20240501
    img_dir: Path = Path("docs/img/validation")
    scenarios: Sequence[str] | None = None
    regions: Sequence[str] | None = None
    reps: int | None = None  # replications for every pattern (default: each pattern's own)
    progress: Callable[[str], None] | None = None
    pool: Pool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pool = Pool(self.workers)
        if self.quick and self.regions is None:
            self.regions = QUICK_REGIONS

    def replications(self, spec: Spec) -> int:
        if self.reps is not None:
            return self.reps
        return QUICK_REPS if self.quick else spec.reps


@dataclass
class Planned:
    """One pattern in one cell: its conditions (name -> job keys) or why not applicable."""

    spec: Spec
    cell: Cell
    conditions: dict[str, list[str]] = field(default_factory=dict)
    reason: str = ""


def _key(cfg: ScenarioConfig, seed: int, keep: tuple[str, ...]) -> str:
    return hashlib.sha1(f"{cfg.model_dump_json()}|{seed}|{','.join(keep)}".encode()).hexdigest()


def plan(ctx: Context, numbers: Sequence[int]) -> tuple[list[Planned], dict[str, Job]]:
    """Every (pattern, cell) with its conditions, and the distinct jobs they need."""
    grid = cells(ctx.scenarios, ctx.regions)
    jobs: dict[str, Job] = {}
    out = []
    for n in numbers:
        spec = SPECS[n]
        seeds = replication_seeds(ctx.master, ctx.replications(spec))
        for cell in grid:
            pl = Planned(spec, cell)
            design = spec.design(cell)
            if isinstance(design, str):
                pl.reason = design
                out.append(pl)
                continue
            try:
                configs = {
                    name: make_config(cell.scenario, cell.region, sets, spec.heavy)
                    for name, sets in design.items()
                }
            except ScenarioError as exc:  # e.g. a parameter renamed in the model
                pl.reason = f"the scenario does not accept this pattern's conditions ({exc})"
                out.append(pl)
                continue
            for name, cfg in configs.items():
                keys = []
                for s in seeds:
                    k = _key(cfg, s, spec.keep)
                    jobs.setdefault(k, Job(cfg, s, spec.keep))
                    keys.append(k)
                pl.conditions[name] = keys
            out.append(pl)
    return out, jobs


def _primary(spec: Spec, claims: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The sub-claim shown on the map: the named one, or the only applicable one."""
    live = [c for c in claims if c["result"] is not None]
    for c in live:
        if spec.primary and c["text"] == spec.primary:
            return c
    return live[0] if live else None


def evaluate(pl: Planned, results: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    cell = {"scenario": pl.cell.scenario, "region": pl.cell.region.name}
    if pl.reason:
        return {**cell, "verdict": "not applicable", "reason": pl.reason, "claims": [], "primary": None}
    outs = {name: [results[k] for k in keys] for name, keys in pl.conditions.items()}
    try:
        claims = pl.spec.evaluate(pl.cell, outs)
    except KeyError as exc:  # a KPI or party field the pattern needs is not in the outcome
        reason = f"a measure this pattern needs is missing from the run outcome ({exc!r})"
        return {**cell, "verdict": "not applicable", "reason": reason, "claims": [], "primary": None}
    extra = {
        "bad_end_share": {
            name: float(np.mean([bool(o.get("bad_end")) for o in v])) for name, v in outs.items()
        }
    }
    return {
        **cell,
        "verdict": combine([c["verdict"] for c in claims]),
        "reason": "",
        "claims": claims,
        "primary": _primary(pl.spec, claims),
        "extra": extra,
    }


def _progress_printer(stream: Any = None) -> Callable[[int, int], None]:
    stream = stream or sys.stderr
    start = time.perf_counter()
    tty = hasattr(stream, "isatty") and stream.isatty()
    state = {"last": -1}

    def show(done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if not tty and pct // 10 == state["last"] // 10 and done != total:
            return
        if tty and pct == state["last"] and done != total:
            return
        state["last"] = pct
        el = time.perf_counter() - start
        left = el / done * (total - done) if done else 0.0
        bar = "#" * (pct // 4) + "." * (25 - pct // 4)
        msg = f"[{bar}] {done}/{total} runs {pct:3d} %  {el:4.0f} s elapsed, ~{left:4.0f} s left"
        stream.write(("\r" + msg) if tty else (msg + "\n"))
        if tty and done == total:
            stream.write("\n")
        stream.flush()

    return show


def run_map(ctx: Context, numbers: Sequence[int] | None = None) -> dict[str, Any]:
    """Run the map for ``numbers`` (default all); figures go to ``ctx.img_dir``; returns
    the JSON-ready results ``{"meta": ..., "patterns": [...]}``."""
    numbers = sorted(numbers or SPECS)
    say = ctx.progress or (lambda m: None)
    ctx.img_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    planned, jobs = plan(ctx, numbers)
    wanted = sum(len(k) for pl in planned for k in pl.conditions.values())
    say(
        f"validate-patterns: {len(numbers)} patterns x {len({pl.cell.key for pl in planned})} cells; "
        f"{len(jobs)} distinct runs ({wanted - len(jobs)} shared) on {ctx.workers} worker(s)"
    )
    keys = list(jobs)
    try:
        outs = ctx.pool.map([jobs[k] for k in keys], _progress_printer() if ctx.progress else None)
    finally:
        ctx.pool.close()
    results = dict(zip(keys, outs, strict=True))
    run_seconds = time.perf_counter() - start
    patterns = []
    for n in numbers:
        spec = SPECS[n]
        mine = [pl for pl in planned if pl.spec.number == n]
        cells_out = [evaluate(pl, results) for pl in mine]
        glob = GLOBALS[n](ctx.quick, ctx.img_dir, ctx.master) if n in GLOBALS else None
        runs = len({k for pl in mine for ks in pl.conditions.values() for k in ks})
        p = {
            "number": n,
            "title": spec.title,
            "claim": spec.claim,
            "label": spec.label,
            "label_reason": spec.label_reason,
            "setup": spec.setup,
            "criterion": spec.criterion,
            "replications": ctx.replications(spec),
            "runs": runs,
            "primary": spec.primary,
            "figure": f"pattern{n}.png",
            "calibration_target": CALIBRATION_TARGETS.get(n),
            "global": glob,
            "cells": cells_out,
        }
        plot_map(p, ctx.img_dir / p["figure"])
        patterns.append(p)
        counts = {v: sum(c["verdict"] == v for c in cells_out) for v in VERDICTS}
        say(f"pattern {n:2d} ({spec.label}): " + ", ".join(f"{v} {k}" for v, k in counts.items() if k))
    meta = {
        "quick": ctx.quick,
        "master": ctx.master,
        "workers": ctx.workers,
        "scenarios": sorted({pl.cell.scenario for pl in planned}, key=[c.scenario for c in cells(ctx.scenarios)].index),
        "regions": [{"name": r.name, "resistance_scale": r.resistance_scale, "trust": r.trust, "description": r.describe()} for r in REGIONS if not ctx.regions or r.name in ctx.regions],
        "distinct_runs": len(jobs),
        "run_seconds": run_seconds,
        "seconds": time.perf_counter() - start,
        "alpha": ALPHA,
        "min_informative": MIN_INFORMATIVE,
    }  # fmt: skip
    return {"meta": meta, "patterns": patterns}


# ---------------------------------------------------------------------- figures

COLOURS = {
    "holds": "#4daf4a",
    "does not hold": "#bdbdbd",
    "reversed": "#e41a1c",
    "inconclusive": "#ffd92f",
    "not applicable": "#ffffff",
}


def fmt_effect(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:+.0f}"
    if a >= 10:
        return f"{v:+.1f}"
    if a >= 1:
        return f"{v:+.2f}"
    return f"{v:+.3f}"


def _cell_text(c: Mapping[str, Any]) -> str:
    if c["verdict"] == "not applicable":
        return "n/a"
    pr = c.get("primary")
    if not pr or not pr.get("result"):
        return c["verdict"]
    r = pr["result"]
    ci = r.get("ci") or (None, None)
    head = c["verdict"] if pr["verdict"] == c["verdict"] else f"{c['verdict']}\n(shown: {pr['verdict']})"
    return f"{head}\n{fmt_effect(r.get('diff'))}\n[{fmt_effect(ci[0])}, {fmt_effect(ci[1])}]"


def plot_map(p: Mapping[str, Any], path: Path) -> None:
    """Scenario x region grid coloured by verdict, the primary effect annotated."""
    scen = list(dict.fromkeys(c["scenario"] for c in p["cells"]))
    regs = list(dict.fromkeys(c["region"] for c in p["cells"]))
    by = {(c["scenario"], c["region"]): c for c in p["cells"]}
    fig = Figure(figsize=(2.2 * len(regs) + 3.6, 1.0 * len(scen) + 1.9), layout="constrained")
    ax = fig.subplots()
    for i, s in enumerate(scen):
        for j, r in enumerate(regs):
            c = by.get((s, r))
            v = c["verdict"] if c else "not applicable"
            hatch = "//" if v == "not applicable" else None
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=COLOURS[v], edgecolor="k", lw=0.8, hatch=hatch))
            box = {"facecolor": "white", "edgecolor": "none", "pad": 1.5} if v == "not applicable" else None
            ax.text(
                j + 0.5, i + 0.5, _cell_text(c) if c else "", ha="center", va="center", fontsize=7.5, bbox=box
            )
    ax.set_xlim(0, len(regs))
    ax.set_ylim(len(scen), 0)
    ax.set_xticks(np.arange(len(regs)) + 0.5, regs)
    ax.set_yticks(np.arange(len(scen)) + 0.5, [s.replace("_", " ") for s in scen], fontsize=8)
    ax.tick_params(length=0)
    defs = "; ".join(
        f"{r.name}: resistance x{r.resistance_scale}, trust {'own' if r.trust is None else r.trust}"
        for r in REGIONS
    )
    ax.set_xlabel(f"region ({defs})", fontsize=8)
    shown = [c["primary"] for c in p["cells"] if c.get("primary")]
    labels = {(k["measure"], k["a"], k["b"]) for k in shown}
    if len(labels) == 1:
        m, a, b = labels.pop()
        measure = f"{m}, B − A ({b} − {a})"
    elif shown:  # the conditions depend on the cell (e.g. trust relative to the cell's own)
        measure = f"{shown[0]['text']}: B − A, conditions per cell in the report"
    else:
        measure = ""
    if p["number"] == 2:
        measure = "hostile: share stalled/collapsed, big-bang − phased; friendly: months to finish, big-bang − phased"
    ax.set_title(f"Pattern {p['number']}: {p['title']} ({p['label']})\n{measure}", fontsize=9)
    handles = [
        Patch(facecolor=COLOURS[v], edgecolor="k", hatch="//" if v == "not applicable" else None, label=v)
        for v in VERDICTS
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    save(fig, path)


def plot_overview(patterns: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Every pattern (rows) in every cell (columns), coloured by verdict."""
    cols = list(dict.fromkeys((c["scenario"], c["region"]) for p in patterns for c in p["cells"]))
    fig = Figure(figsize=(0.55 * len(cols) + 4.5, 0.42 * len(patterns) + 2.6), layout="constrained")
    ax = fig.subplots()
    for i, p in enumerate(patterns):
        by = {(c["scenario"], c["region"]): c["verdict"] for c in p["cells"]}
        for j, k in enumerate(cols):
            v = by.get(k, "not applicable")
            ax.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=COLOURS[v],
                    edgecolor="k",
                    lw=0.5,
                    hatch="//" if v == "not applicable" else None,
                )
            )
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(patterns), 0)
    ax.set_yticks(
        np.arange(len(patterns)) + 0.5,
        [f"{p['number']}. {p['title']} ({p['label']})" for p in patterns],
        fontsize=8,
    )
    ax.set_xticks(
        np.arange(len(cols)) + 0.5,
        [f"{s.replace('_', ' ')} · {r}" for s, r in cols],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.tick_params(length=0)
    handles = [
        Patch(facecolor=COLOURS[v], edgecolor="k", hatch="//" if v == "not applicable" else None, label=v)
        for v in VERDICTS
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title("Where the patterns hold: pattern x (scenario · region)", fontsize=10)
    save(fig, path)  # fmt: skip
