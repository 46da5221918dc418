"""Digests of every output file, to prove a change leaves results byte-identical.

    python benchmarks/output_digests.py OUT [--citizens N] [--quick-sweep] [--all]

Runs each shipped scenario for seeds 1 and 7 with ``egov-sim run`` (and, with
``--quick-sweep``, ``egov-sim sweep trust_x_compensation --quick``; with ``--all`` also
``analyse`` of that sweep, ``validate-patterns --quick``, ``advise --quick`` and ``map
--quick`` of the municipality, and a ``compare``) into ``OUT`` and writes
``OUT/digests.txt``: one line ``sha256  path`` per output file. ``manifest.json`` is hashed
without its ``wall_time_s`` (the one field that may differ, see the manifest's note), and
sweep files that record times or the machine are hashed without those fields, and the
checkout's own path is written as ``<checkout>``. Run it in
two checkouts and ``diff`` (or ``cmp``) the two digests.txt files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "municipality_building_housing",
    "vehicle_registration",
    "business_counter",
    "province_spatial_planning",
    "water_board",
)
SEEDS = (1, 7)
VARIANTS = {
    "complete": ["citizens.network=complete"],
    "proactive": ["service.intrusiveness=0.9", "service.proactive_reach=0.5"],
    "fragmentation-businesses": ["service.model=fragmentation", "service.audience=businesses"],
}
#: Keys that hold wall times (or the host) rather than results; the fingerprint of a
#: sweep hashes its files' paths, which differ between checkouts; a sweep's ``batch`` is
#: how many runs went into one task (an execution choice that results do not depend on).
VOLATILE = {
    "wall_time_s",
    "elapsed_s",
    "started",
    "finished",
    "host",
    "seconds",
    "fingerprint",
    "batch",
    "run_seconds",
}
#: Wall times written into reports ("took 12.3 s", "39 s"): masked, everything else must match.
_SECONDS = re.compile(rb"\b\d+(?:\.\d+)?\s?s\b")


def _strip(data):
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


def digest(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".json":
        # Paths to scenario files name the checkout; the rest must match byte for byte.
        raw = raw.replace(str(ROOT).encode(), b"<checkout>")
        raw = json.dumps(_strip(json.loads(raw)), sort_keys=True).encode()
    elif path.suffix == ".md":
        raw = _SECONDS.sub(b"<N> s", raw)
    return hashlib.sha256(raw).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--citizens", type=int, default=20000)
    ap.add_argument("--quick-sweep", action="store_true")
    ap.add_argument(
        "--all",
        action="store_true",
        help="--quick-sweep, its analyse, validate-patterns --quick, advise --quick, map --quick, compare",
    )
    ap.add_argument(
        "--run-args",
        default="",
        help="more words for every `run` (e.g. '--figure matplotlib' to compare with a checkout "
        "that predates the quick figure)",
    )
    args = ap.parse_args()
    # This checkout's package, whichever checkout the interpreter's install points at.
    cli = [sys.executable, "-c", "import sys; from simulation.cli import main; sys.exit(main())"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.out.exists():
        sys.exit(f"output_digests: {args.out} exists; give a new folder")
    args.out.mkdir(parents=True)
    for name in SCENARIOS:
        for seed in SEEDS:
            dest = args.out / f"{name}-{seed}"
            subprocess.run(
                [*cli, "run", name, "--seed", str(seed), "--citizens", str(args.citizens)]
                + ["--out", str(dest), "--force", *args.run_args.split()],
                check=True,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
    # Paths the shipped scenarios may not take: full mixing, a pro-active service's privacy
    # drag, and a business audience under fragmentation.
    for tag, sets in VARIANTS.items():
        subprocess.run(
            [*cli, "run", "municipality_building_housing", "--seed", "3", "--citizens", str(args.citizens)]
            + [w for kv in sets for w in ("--set", kv)]
            + ["--out", str(args.out / f"variant-{tag}"), "--force", *args.run_args.split()],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )

    def call(*words: str) -> None:
        subprocess.run(
            [*cli, *words],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    if args.quick_sweep or args.all:
        call("sweep", "trust_x_compensation", "--quick", "--out", str(args.out / "sweep"))
    if args.all:
        call("analyse", str(args.out / "sweep"))
        call("validate-patterns", "--quick", "--workers", "2", "--out", str(args.out / "validation"))
        muni = "municipality_building_housing"
        call("advise", muni, "--quick", "--workers", "2", "--out", str(args.out / "advise"))
        call("map", muni, "--quick", "--workers", "2", "--out", str(args.out / "map"))
        call(
            "compare",
            "--replications",
            "4",
            "--citizens",
            "5000",
            "--out",
            str(args.out / "compare"),
            "--yes",
        )
    lines = [
        f"{digest(p)}  {p.relative_to(args.out)}"
        for p in sorted(args.out.rglob("*"))
        if p.is_file() and p.name != "digests.txt" and not p.name.endswith(".log")
    ]
    (args.out / "digests.txt").write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} files -> {args.out / 'digests.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
