"""Global checks of patterns 1, 6 and 7: the mechanism alone, outside the scenario cells.

Each is a pattern's ``global_check`` hook: ``(quick, img_dir, master) -> {"text", "verdict", ...}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ImplementationConfig, TrustConfig
from ..mechanisms import implementation, trust
from . import bass
from .pattern_figures import plot_bass
from .stats import hill


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
