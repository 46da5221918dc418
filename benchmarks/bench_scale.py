"""Scale benchmark (issue 22): the whole `egov-sim run` process against the bare script.

    python benchmarks/bench_scale.py [--sizes 10000,100000,1000000,10000000] [--pairs 3]
                                     [--baseline DIR] [--fixed-pairs 10]

For each size, N citizens x 120 months of the default municipality: `egov-sim run` and
benchmarks/bass_bare.py (the minimum a run must do) run as fresh processes in turn (A B A
B ...), so each ratio is taken pair by pair on the same machine load. Prints, per size,
the median wall time of each, the median of the paired ratios, the peak resident memory
of each (largest process, from the kernel's accounting of the reaped child) and our peak
per citizen. ``--baseline DIR`` adds a third command per pair: another checkout of the
package (a folder holding ``simulation/``, ``scenarios/`` ...) first on PYTHONPATH, for a
before/after in the same rounds. The load average is printed before every size.

Fixed cost (``--fixed-pairs`` rounds, 0 to skip): a 1-month run of 10,000 citizens against
``python -c "import numpy, scipy.sparse"``, paired the same way.

Targets (issue 22): ratio <= 2.0 at 10k, <= 1.6 at 100k, <= 1.5 at 1M and 10M; 10M at
<= 3 GB peak (<= 300 B a citizen), 1M at <= 350 MB; the 1-month 10k run <= 1.5x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = {10_000: 2.0, 100_000: 1.6, 1_000_000: 1.5, 10_000_000: 1.5}
TARGET_PEAK = {1_000_000: 350e6, 10_000_000: 3e9}
TARGET_FIXED = 1.5
CLI = "import sys; from simulation.cli import main; sys.exit(main())"


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one fresh process, reaped with its children."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"bench_scale: {cmd[:4]} failed: {proc.stderr.read().decode()[-400:]}")
    proc.stderr.close()
    return wall, usage.ru_maxrss * 1024


def ours(root: Path, n: int, out: Path, months: int = 120) -> tuple[list[str], dict[str, str], Path]:
    """The run command of checkout ``root`` (run from there: ``-c`` puts the working folder
    first on the path)."""
    cmd = [sys.executable, "-c", CLI, "run", "municipality_building_housing"]
    cmd += ["--citizens", str(n), "--steps", str(months), "--out", str(out), "--force"]
    return cmd, {**os.environ, "PYTHONPATH": str(root)}, root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000,10000000")
    ap.add_argument("--pairs", type=int, default=3, help="paired rounds per size (default 3)")
    ap.add_argument("--baseline", type=Path, help="another checkout to time in the same rounds")
    ap.add_argument("--fixed-pairs", type=int, default=10, help="rounds of the 1-month run (0: skip)")
    args = ap.parse_args()
    if args.baseline:
        args.baseline = args.baseline.resolve()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.fixed_pairs > 0:
            fixed_cost(args.fixed_pairs, tmp)
        for n in sizes:
            load = os.getloadavg()
            print(f"{n:>10,} citizens: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
            bare = [
                sys.executable,
                str(ROOT / "benchmarks" / "bass_bare.py"),
                str(n),
                "120",
                str(tmp / "b.csv"),
            ]
            runs: dict[str, list[tuple[float, int]]] = {"ours": [], "bare": [], "base": []}
            for _ in range(args.pairs):
                runs["ours"].append(timed(*ours(ROOT, n, tmp / "o")))
                runs["bare"].append(timed(bare, dict(os.environ)))
                if args.baseline:
                    runs["base"].append(timed(*ours(args.baseline, n, tmp / "o")))
            rows.append((n, runs))
            print(line(n, runs), flush=True)
    print()
    print(
        "| citizens x 120 months | egov-sim run | bare | ratio (paired) | peak RSS ours / bare | B per citizen |"
        + (" before | ratio before |" if args.baseline else "")
    )
    print("|---|---|---|---|---|---|" + ("---|---|" if args.baseline else ""))
    for n, runs in rows:
        print(table_row(n, runs))
    return 0


def fixed_cost(pairs: int, tmp: Path) -> None:
    """The 1-month 10k run against importing numpy and scipy.sparse, paired."""
    load = os.getloadavg()
    print(f"fixed cost: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    bare = [sys.executable, "-c", "import numpy, scipy.sparse"]
    o, b = [], []
    for _ in range(pairs):
        o.append(timed(*ours(ROOT, 10_000, tmp / "f", months=1))[0])
        b.append(timed(bare, dict(os.environ))[0])
    ratios = [x / y for x, y in zip(o, b, strict=True)]
    verdict = "met" if _median(ratios) <= TARGET_FIXED else "MISSED"
    print(
        f"    1-month run of 10,000 citizens {_median(o):.3f} s, `import numpy, scipy.sparse` "
        f"{_median(b):.3f} s, paired ratio {_median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}); "
        f"target <= {TARGET_FIXED}: {verdict}",
        flush=True,
    )


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def summary(n: int, runs: dict[str, list[tuple[float, int]]]) -> dict[str, float]:
    o, b = runs["ours"], runs["bare"]
    s = {
        "ours": _median([w for w, _ in o]),
        "bare": _median([w for w, _ in b]),
        "ratio": _median([x[0] / y[0] for x, y in zip(o, b, strict=True)]),
        "lo": min(x[0] / y[0] for x, y in zip(o, b, strict=True)),
        "hi": max(x[0] / y[0] for x, y in zip(o, b, strict=True)),
        "peak": max(p for _, p in o),
        "bare_peak": max(p for _, p in b),
    }
    if runs["base"]:
        s["base"] = _median([w for w, _ in runs["base"]])
        s["base_ratio"] = _median([x[0] / y[0] for x, y in zip(runs["base"], b, strict=True)])
        s["base_peak"] = max(p for _, p in runs["base"])
    return s


def _verdict(n: int, s: dict[str, float]) -> str:
    parts = []
    if n in TARGET_RATIO:
        parts.append(
            f"ratio target <= {TARGET_RATIO[n]}: {'met' if s['ratio'] <= TARGET_RATIO[n] else 'MISSED'}"
        )
    if n in TARGET_PEAK:
        parts.append(
            f"peak target <= {TARGET_PEAK[n] / 1e6:,.0f} MB: {'met' if s['peak'] <= TARGET_PEAK[n] else 'MISSED'}"
        )
    return "; ".join(parts)


def line(n: int, runs: dict[str, list[tuple[float, int]]]) -> str:
    s = summary(n, runs)
    text = (
        f"    egov-sim run {s['ours']:.2f} s, bare {s['bare']:.2f} s, paired ratio {s['ratio']:.2f} "
        f"({s['lo']:.2f}-{s['hi']:.2f}); peak {s['peak'] / 2**20:,.0f} / {s['bare_peak'] / 2**20:,.0f} MiB, "
        f"{s['peak'] / n:,.0f} B per citizen; {_verdict(n, s)}"
    )
    if "base" in s:
        text += f"\n    before: {s['base']:.2f} s, ratio {s['base_ratio']:.2f}, peak {s['base_peak'] / 2**20:,.0f} MiB"
    return text


def table_row(n: int, runs: dict[str, list[tuple[float, int]]]) -> str:
    s = summary(n, runs)
    row = (
        f"| {n:,} | {s['ours']:.2f} s | {s['bare']:.2f} s | {s['ratio']:.2f}x | "
        f"{s['peak'] / 2**20:,.0f} / {s['bare_peak'] / 2**20:,.0f} MiB | {s['peak'] / n:,.0f} |"
    )
    if "base" in s:
        row += f" {s['base']:.2f} s | {s['base_ratio']:.2f}x |"
    return row


if __name__ == "__main__":
    sys.exit(main())
