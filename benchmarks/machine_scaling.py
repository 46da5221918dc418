"""How well this machine runs two CPU-bound processes at once, without any of this project's code.

    python benchmarks/machine_scaling.py [--rounds 10] [--seconds 1.5]

Each round runs a fixed amount of work alone, then two copies of it started together, for
two kinds of work: a pure-Python loop (no memory traffic to speak of) and a numpy loop over
arrays the size of a 10k-citizen model's state. The scaling c = T(alone) / T(slower of the
two together) is 1 on two idle cores of their own and lower where the cores are shared
(hypervisor steal time, SMT siblings, thermal or power limits).

Why it matters (issue 22): a 2-worker sweep does the work of one 1-worker sweep over two
processes plus a serial start S, so its efficiency T1 / (2 T2) <= (S + P) / (2 S + P / c),
which is below c whenever S > 0. With c below 0.9 the issue's target of 0.9 cannot be met
by any sweep, however small its start. Also printed: the steal time /proc/stat counted
during the rounds, as a share of the CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

#: (set-up, timed loop) for each kind of work; ``{n}`` is the loop's length.
WORK = {
    "pure Python": ("s = 0", "for i in range({n}):\n    s += i"),
    "numpy": (
        "import numpy as np\nrng = np.random.default_rng(1)\nx = rng.random(10_000)\ny = np.empty_like(x)",
        "for _ in range({n}):\n    np.multiply(x, 1.0001, out=y)\n    np.add(y, x, out=x)\n    x *= 0.5",
    ),
}


def program(kind: str, n: int) -> str:
    setup, body = WORK[kind]
    return (
        f"import time\n{setup}\nt = time.perf_counter()\n{body.format(n=n)}\nprint(time.perf_counter() - t)"
    )


def timed(code: str, copies: int) -> list[float]:
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(copies)
    ]
    return [float(p.communicate()[0]) for p in procs]


def calibrate(kind: str, seconds: float) -> int:
    n = 100_000 if kind == "pure Python" else 2_000
    elapsed = timed(program(kind, n), 1)[0]
    return max(1, int(n * seconds / max(elapsed, 1e-3)))


def cpu_ticks() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs so far."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.5, help="work per process, about")
    args = parser.parse_args()
    with open("/proc/loadavg", encoding="ascii") as fh:
        print(f"load average {' '.join(fh.read().split()[:3])}")
    for kind in WORK:
        code = program(kind, calibrate(kind, args.seconds))
        steal0, total0 = cpu_ticks()
        ratios, alone = [], []
        for _ in range(args.rounds):
            one = timed(code, 1)[0]
            both = max(timed(code, 2))
            alone.append(one)
            ratios.append(one / both)
        steal1, total1 = cpu_ticks()
        steal = 100 * (steal1 - steal0) / max(1, total1 - total0)
        print(
            f"{kind:>11}: c = {statistics.median(ratios):.2f} median of {args.rounds} rounds "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}); alone {min(alone):.2f}-{max(alone):.2f} s; "
            f"steal {steal:.1f} % of CPU time"
        )


if __name__ == "__main__":
    main()
