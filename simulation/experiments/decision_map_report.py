"""``egov-sim map``: the driver, the phase diagrams and report.md of a decision map."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..io.scenario_io import ScenarioError
from . import decision_map as dm

#: Colours: one hue per service model, darker for later/slower rollouts (big bang, phased, pilot).
COLOURS = {
    "integration": ("#9ecae1", "#3182bd", "#08519c"),
    "fragmentation": ("#fdae6b", "#e6550d", "#a63603"),
    "hybrid": ("#a1d99b", "#31a354", "#006d2c"),
}
SHORT = {
    "integration": "INT",
    "fragmentation": "FRAG",
    "hybrid": "HYB",
    "big_bang": "big bang",
    "phased": "phased",
    "pilot": "pilot",
}


def design_colour(i: int) -> str:
    m, r = dm.DESIGNS[i]
    return COLOURS[m][dm.ROLLOUTS.index(r)]


def plot_phase(result: dm.MapResult, objective: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    s = result.runs.settings
    win = result.winner[objective]
    p = result.p_win[objective]
    cmap = ListedColormap([design_colour(i) for i in range(len(dm.DESIGNS))])
    fig, ax = plt.subplots(figsize=(8.6, 5.6))
    ax.imshow(win.T, origin="lower", cmap=cmap, vmin=-0.5, vmax=len(dm.DESIGNS) - 0.5, aspect="auto")
    for i in range(win.shape[0]):
        for j in range(win.shape[1]):
            k = int(win[i, j])
            m, r = dm.DESIGNS[k]
            dark = dm.ROLLOUTS.index(r) > 0
            ax.text(
                i,
                j,
                f"{SHORT[m]}\n{SHORT[r]}\n{p[i, j, k]:.0%}",
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(s.x.values)), [f"{v:.2g}" for v in s.x.values])
    ax.set_yticks(range(len(s.y.values)), [f"{v:.2g}" for v in s.y.values])
    ax.set_xlabel(s.x.name)
    ax.set_ylabel(s.y.name)
    label = "the combined score" if objective == "combined" else dm.OBJECTIVES[objective][3]
    ax.set_title(
        f"Which design wins on {label}?\n(colour = best mean over {p.shape and result.runs.values.shape[3]} "
        "samples; % = probability that it is the best)",
        fontsize=10,
    )
    present = sorted(set(int(k) for k in np.unique(win)))
    handles = [Patch(color=design_colour(k), label=dm.design_label(dm.DESIGNS[k])) for k in present]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title="design (service model, rollout)",
        title_fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_stability(agree: dict[str, float], path: Path, seeds: tuple[int, int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(agree)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    vals = [agree[n] for n in names]
    ax.bar(range(len(names)), vals, color=["tab:green" if v >= dm.LOW_AGREEMENT else "tab:red" for v in vals])
    ax.axhline(
        dm.LOW_AGREEMENT,
        color="k",
        ls="--",
        lw=1,
        label=f"{dm.LOW_AGREEMENT:.0%}: below it, add replications",
    )
    for i, v in enumerate(vals):
        ax.text(i, v + 0.02, f"{v:.0%}", ha="center", fontsize=9)
    ax.set_xticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("cells whose winner agrees")
    ax.set_title(f"Stability: the same map with master seeds {seeds[0]} and {seeds[1]}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cells_rows(result: dm.MapResult) -> list[dict[str, Any]]:
    s = result.runs.settings
    rows = []
    for i, xv in enumerate(s.x.values):
        for j, yv in enumerate(s.y.values):
            for name in result.winner:
                k = int(result.winner[name][i, j])
                rows.append(
                    {
                        s.x.name: xv,
                        s.y.name: yv,
                        "objective": name,
                        "winner": dm.design_label(dm.DESIGNS[k]),
                        "p_win": float(result.p_win[name][i, j, k]),
                        "minimax_regret": dm.design_label(dm.DESIGNS[int(result.regret[name][i, j])]),
                        "runner_up": dm.design_label(
                            dm.DESIGNS[int(np.argsort(-result.p_win[name][i, j])[1])]
                        ),
                    }
                )
            best = int(result.satisficing[i, j].argmax())
            rows.append(
                {
                    s.x.name: xv,
                    s.y.name: yv,
                    "objective": "satisficing",
                    "winner": dm.design_label(dm.DESIGNS[best]),
                    "p_win": float(result.satisficing[i, j, best]),
                    "minimax_regret": "",
                    "runner_up": "",
                }
            )
    return rows


def _grid_table(result: dm.MapResult, objective: str) -> list[str]:
    s = result.runs.settings
    head = f"| {s.y.name} \\ {s.x.name} | " + " | ".join(f"{v:.2g}" for v in s.x.values) + " |"
    out = [head, "|---|" + "---|" * len(s.x.values)]
    for j in reversed(range(len(s.y.values))):
        cells = []
        for i in range(len(s.x.values)):
            k = int(result.winner[objective][i, j])
            cells.append(f"{dm.design_label(dm.DESIGNS[k])} ({result.p_win[objective][i, j, k]:.0%})")
        out.append(f"| {s.y.values[j]:.2g} | " + " | ".join(cells) + " |")
    return out


def report(
    result: dm.MapResult, second: dm.MapResult, agree: dict[str, float], folder: Path, quick: bool
) -> str:
    s = result.runs.settings
    samples = result.runs.values.shape[3]
    lines = [
        f"# Decision map: {s.scenario}",
        "",
        "> Quick mode: a small grid and few samples; read the map as a sketch." if quick else "",
        "",
        f"The nine designs (service model × rollout, each at the scenario's own levers) on a "
        f"{len(s.x.values)} × {len(s.y.values)} grid of `{s.x.name}` × `{s.y.name}`, each cell over {samples} "
        f"samples ({s.draws} {result.runs.settings.ensemble} parameter draws × {s.replications} replications, "
        f"{s.citizens:,} citizens; common random numbers and common draws for every design and cell). "
        f"Master seed {result.runs.master}; {result.runs.runs + second.runs.runs:,} runs in "
        f"{result.runs.seconds + second.runs.seconds:.0f} s.",
        "",
        "**How to read it.** In each cell the colour is the design with the best mean on that objective; the "
        "percentage is its *probability of winning*: the share of samples in which it was the best. A low "
        "percentage means the winner is not clear there. The combined score averages, over the five "
        "objectives, each design's value rescaled to 0–1 among the nine designs of the sample (1 = best).",
        "",
        "## What the map says",
        "",
    ]
    lines += [f"- {st['text']}" for st in result.statements]
    lines += [
        "",
        "Each statement compares the best integration design with the best fragmentation design (or the best "
        "phased with the best big-bang design) in every sample; where it holds only in part of the map, a PRIM "
        "box (EMA Workbench) over the two axes says where, with its coverage (share of all winning samples "
        "inside the box) and density (share of samples inside the box that win).",
        "",
        "## Stability",
        "",
    ]
    low = [k for k, v in agree.items() if v < dm.LOW_AGREEMENT]
    lines += [
        f"The whole map again with an independent master seed ({second.runs.master}): the share of cells whose "
        "winner agrees is " + ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in agree.items()) + ".",
        "",
        (
            f"**Low agreement** on {', '.join(k.replace('_', ' ') for k in low)}: the winners there are not "
            f"settled by {samples} samples per cell; rerun with more replications (`--replications "
            f"{2 * s.replications}`) or draws (`--draws {2 * s.draws}`)."
            if low
            else "Every objective's map agrees in at least 80 % of its cells."
        ),
        "",
        "The two choices separately (share of cells whose winning design has the same service model / the "
        "same rollout under both seeds): "
        + "; ".join(
            f"{k.replace('_', ' ')} {v['service_model']:.0%} / {v['rollout']:.0%}"
            for k, v in dm.choice_agreement(result, second).items()
        )
        + ".",
        "",
        "![stability](stability.png)",
        "",
    ]
    for name in [*dm.OBJECTIVES, "combined"]:
        label = "Combined score" if name == "combined" else dm.OBJECTIVES[name][3].capitalize()
        unit = (
            "" if name == "combined" else f" ({dm.OBJECTIVES[name][2]}, {dm.OBJECTIVES[name][1]} is better)"
        )
        lines += [f"## {label}{unit}", "", f"![{name}](phase_{name}.png)", "", *_grid_table(result, name), ""]
    thr = ", ".join(f"{k.replace('_', ' ')} {op} {v:g}" for k, (op, v) in dm.THRESHOLDS.items())
    if s.max_cost is not None:
        thr += f", cost <= {s.max_cost:g}"
    lines += [
        "## Minimax regret and satisficing",
        "",
        f"Satisficing thresholds (absolute, the defaults of `simulation/experiments/decision_map.py`): {thr}. "
        "`cells.csv` has, per cell and objective, the winner, its probability, the runner-up and the design "
        "with the smallest largest regret; and per cell the design most often satisficing with its share.",
        "",
    ]
    sat = result.satisficing.max(axis=2)
    lines += [
        f"Best satisficing share over the map: median {np.median(sat):.0%}, range {sat.min():.0%}–{sat.max():.0%}.",
        "",
    ]
    return "\n".join(lines) + "\n"


def settings_from(args: Any) -> dm.MapSettings:
    from ..io.scenario_io import resolve_path

    resolve_path(args.scenario)  # a clear error for a missing scenario, before any run
    levels = args.levels or (4 if args.quick else 6)
    x = dm.Axis.parse(args.x or dm.DEFAULT_AXES[0], levels, "--x")
    y = dm.Axis.parse(args.y or dm.DEFAULT_AXES[1], levels, "--y")
    if x.name == y.name:
        raise ScenarioError(f"--x and --y: both are {x.name}; choose two different parameters")

    def pick(given: int | None, quick: int, full: int) -> int:
        return (quick if args.quick else full) if given is None else given

    draws = pick(args.draws, 3, 10)
    reps = pick(args.replications, 1, 2)
    citizens = pick(args.citizens, 500, 1000)
    for flag, v in (("--draws", draws), ("--replications", reps), ("--citizens", citizens)):
        if v < 1:
            raise ScenarioError(f"{flag}: need at least 1, got {v}")
    return dm.MapSettings(
        args.scenario, x, y, draws, reps, citizens, args.steps, args.seed, args.ensemble, args.max_cost
    )


def cmd_map(args: Any) -> int:
    from ..io.atomic import atomic_replace
    from ..io.progress import _progress
    from ..runs.runner import default_out_dir
    from ..runs.seeds import derive_seed
    from .sweep import TaskEngine

    settings = settings_from(args)
    out = Path(args.out) if args.out else default_out_dir(f"map-{Path(str(args.scenario)).stem}")
    state = out.with_name(out.name + ".state")
    marker = state / "map.json"
    if marker.exists() and not args.resume:
        if not args.force:
            raise ScenarioError(f"{state}: holds an unfinished map; add --resume to finish it (or --force)")
        import shutil

        shutil.rmtree(state)
    if (
        marker.exists()
        and json.loads(marker.read_text(encoding="utf-8"))["fingerprint"] != settings.fingerprint()
    ):
        raise ScenarioError(f"{state}: was started with other settings; use another --out")
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ScenarioError(f"--out {out}: exists and is not empty; add --force to replace it")
    state.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"fingerprint": settings.fingerprint()}) + "\n", encoding="utf-8")
    seed2 = args.seed2 if args.seed2 is not None else derive_seed(settings.seed, 20)
    started = time.perf_counter()
    with TaskEngine(args.workers, args.cluster) as engine:
        first = dm.evaluate(settings, settings.seed, engine, state, _progress("map"))
        second = (
            first
            if seed2 == settings.seed
            else dm.evaluate(settings, seed2, engine, state, _progress("map (stability)"))
        )
    result, again = dm.analyse(first), dm.analyse(second)
    agree = dm.agreement(result, again)
    import pandas as pd

    with atomic_replace(out) as tmp:
        for name in [*dm.OBJECTIVES, "combined"]:
            plot_phase(result, name, tmp / f"phase_{name}.png")
        plot_stability(agree, tmp / "stability.png", (settings.seed, seed2))
        pd.DataFrame(cells_rows(result)).to_csv(tmp / "cells.csv", index=False)
        (tmp / "report.md").write_text(report(result, again, agree, tmp, args.quick), encoding="utf-8")
        (tmp / "map.json").write_text(
            json.dumps(
                {
                    "settings": {**settings.__dict__, "x": settings.x.__dict__, "y": settings.y.__dict__},
                    "seeds": [settings.seed, seed2],
                    "agreement": agree,
                    "choice_agreement": dm.choice_agreement(result, again),
                    "statements": result.statements,
                    "designs": [dm.design_label(d) for d in dm.DESIGNS],
                    "winner": {k: v.tolist() for k, v in result.winner.items()},
                    "p_win": {k: v.tolist() for k, v in result.p_win.items()},
                    "seconds": time.perf_counter() - started,
                },
                indent=1,
                default=float,
            )
            + "\n",
            encoding="utf-8",
        )
    import shutil

    shutil.rmtree(state, ignore_errors=True)
    print(
        f"decision map of {settings.scenario}: {first.runs + (0 if second is first else second.runs):,} runs, "
        f"{time.perf_counter() - started:.0f} s"
    )
    for st in result.statements:
        print(f"  - {st['text']}")
    print(
        "stability (cells whose winner agrees with seed "
        + f"{seed2}): "
        + ", ".join(f"{k} {v:.0%}" for k, v in agree.items()),
        file=sys.stdout,
    )
    print(
        "  same service model / same rollout: "
        + ", ".join(
            f"{k} {v['service_model']:.0%}/{v['rollout']:.0%}"
            for k, v in dm.choice_agreement(result, again).items()
        )
    )
    print(f"wrote {out}/report.md, phase_*.png, stability.png, cells.csv, map.json")
    return 0


def register(sub: Any) -> None:
    m = sub.add_parser("map", help="decision map: which design (service model x rollout) wins where")
    m.add_argument(
        "scenario", nargs="?", default="municipality_building_housing", help="shipped name or path"
    )
    m.add_argument(
        "--quick", action="store_true", help="4 x 4 grid, 3 draws x 1 replication, 500 citizens (< 3 min)"
    )
    m.add_argument("--x", help=f"first axis NAME=LOW:HIGH[:LEVELS] (default {dm.DEFAULT_AXES[0]})")
    m.add_argument("--y", help=f"second axis (default {dm.DEFAULT_AXES[1]})")
    m.add_argument("--levels", type=int, help="grid levels per axis (default 6; quick 4)")
    m.add_argument("--draws", type=int, help="parameter draws per cell (default 10; quick 3)")
    m.add_argument("--replications", type=int, help="seeds per draw (default 2; quick 1)")
    m.add_argument(
        "--ensemble",
        choices=("posterior", "prior"),
        default="posterior",
        help="where the draws come from (posterior: data/posterior.csv, else the priors)",
    )
    m.add_argument("--citizens", type=int, help="citizens per run (default 1000; quick 500)")
    m.add_argument("--steps", type=int, help="months per run (default: the scenario's)")
    m.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    m.add_argument(
        "--seed2", type=int, help="master seed of the stability rerun (default: derived from --seed)"
    )
    m.add_argument("--max-cost", type=float, help="satisficing: total cost at most this (M€; default none)")
    m.add_argument("--workers", type=int, default=1, help="processes (results do not depend on it)")
    m.add_argument("--cluster", help="run on Dask ('local' or HOST:PORT)")
    m.add_argument("--out", help="output folder (default results/<time>-map-<scenario>)")
    m.add_argument(
        "--resume", action="store_true", help="finish an interrupted map (state kept next to --out)"
    )
    m.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    m.set_defaults(func=cmd_map)
