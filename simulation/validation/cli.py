"""``egov-sim validate-patterns [--quick]`` and ``egov-sim calibrate`` (plug-in of simulation.cli)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..scenario_io import ScenarioError


def _out(args: argparse.Namespace, quick: bool) -> Path:
    if args.out:
        return Path(args.out)
    if quick:
        # A quick run never overwrites the committed report.
        return Path("results") / f"{time.strftime('%Y%m%d-%H%M%S')}-validation-quick"
    return Path("docs")


def cmd_validate_patterns(args: argparse.Namespace) -> int:
    from ..atomic import atomic_dir
    from . import store
    from .patterns import PATTERNS, Context, run_patterns
    from .report import IMG, PATTERNS_JSON, write_report

    numbers = None
    if args.patterns:
        try:
            numbers = sorted({int(x) for x in args.patterns.split(",")})
        except ValueError:
            raise ScenarioError(f"--patterns: expected numbers like 2,5, got {args.patterns!r}") from None
        bad = [n for n in numbers if n not in PATTERNS]
        if bad:
            raise ScenarioError(f"--patterns: no pattern {bad}; allowed 1..{max(PATTERNS)}")
    out = _out(args, args.quick)
    start = time.perf_counter()
    with atomic_dir(out / IMG) as tmp:
        ctx = Context(quick=args.quick, workers=args.workers, master=args.seed, img_dir=tmp)
        results = run_patterns(ctx, numbers, progress=lambda m: print(m, file=sys.stderr, flush=True))
        fresh = [r.to_dict() for r in results]
        previous = out / IMG / PATTERNS_JSON
        if numbers and previous.exists():
            # A partial run replaces only its patterns in the stored results.
            done = {r["number"] for r in fresh}
            fresh += [r for r in store.read(previous) if r["number"] not in done]
        store.write(tmp / PATTERNS_JSON, sorted(fresh, key=lambda r: r["number"]))
    path = write_report(out, quick=args.quick)
    for r in results:
        print(f"pattern {r.number:2d}  {r.verdict:15s} {r.title}")
    print(f"{time.perf_counter() - start:.0f} s; wrote {path} and {out / IMG}/")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..atomic import atomic_dir
    from . import store
    from .calibrate import DATA, calibrate, plot, to_json
    from .report import CALIBRATION_JSON, IMG, write_report

    out = Path(args.out) if args.out else Path("docs")
    result = calibrate(Path(args.data) if args.data else DATA, n_boot=args.bootstrap, seed=args.seed)
    with atomic_dir(out / IMG) as tmp:
        plot(result, tmp / "calibration.png")
        store.write(tmp / CALIBRATION_JSON, to_json(result, args.bootstrap))
    path = write_report(out)
    print(f"definition: {result['definition']}")
    for f in result["fits"]:
        cis = ", ".join(f"{k} {v:.4g} [{f.ci[k][0]:.4g}, {f.ci[k][1]:.4g}]" for k, v in f.params.items())
        print(f"  {f.label:7s} {cis}  RMSE {f.rmse:.4f}")
    print(f"  meta-analysis p 0.03, q 0.38: RMSE {result['meta']['rmse']:.4f}")
    print(f"wrote {path} and {out / IMG}/calibration.png")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate-patterns`` and ``calibrate`` sub-commands."""
    import os

    default_workers = max(1, min(4, os.cpu_count() or 1))  # as runs.default_workers, without Mesa

    v = subparsers.add_parser(
        "validate-patterns", help="pattern-oriented validation (brief §5) -> docs/VALIDATION.md"
    )
    v.add_argument(
        "--quick", action="store_true", help="few replications (smoke test; writes under results/)"
    )
    v.add_argument(
        "--workers", type=int, default=default_workers, help="processes (results do not depend on it)"
    )
    v.add_argument("--patterns", help="comma-separated pattern numbers (default: all)")
    v.add_argument("--seed", type=int, default=20240501, help="master seed (default 20240501)")
    v.add_argument("--out", help="folder for VALIDATION.md and img/validation/ (default: docs)")
    v.set_defaults(func=cmd_validate_patterns)

    c = subparsers.add_parser("calibrate", help="fit Bass p, q (and m) to the Dutch e-government series")
    c.add_argument("--data", help="CSV like data/nl_egov_adoption.csv (default: the shipped one)")
    c.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    c.add_argument("--out", help="folder for VALIDATION.md and img/validation/ (default: docs)")
    c.set_defaults(func=cmd_calibrate)
