"""Fuzzing the file inputs (issue 12): every malformed scenario or experiment file ends in a
clean rejection (exit 2, a message naming the file, nothing written) or a clean run;
never a traceback and never a hang.

Cases are generated deterministically (seeded) from the shipped files: random values of
random types at random keys, deleted and unknown keys, deep nesting of every TOML kind,
huge party counts and designs, and byte-level damage (truncation, garbage, non-UTF-8).
Accepted scenarios are run for 2 months with 200 citizens (to keep the suite short);
accepted experiments are swept with ``--max-runs 40`` (bigger designs are refused).
The slow suite runs 240 scenario and 80 experiment cases; the default suite a sample.
"""

from __future__ import annotations

import json
import math
import random
import signal
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import SCENARIOS

from simulation.cli import main

REPO = SCENARIOS.parent
EXPERIMENTS = REPO / "experiments"
SCENARIO_CASES = 240
EXPERIMENT_CASES = 80
CASE_SECONDS = 120  # a case that takes longer counts as a hang


# ---------------------------------------------------------------------- TOML out
def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def dumps(data: dict[str, Any]) -> str:
    top = [f"{json.dumps(k)} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = top + [""]
    for section, table in data.items():
        if not isinstance(table, dict):
            continue
        out.append(f"[{json.dumps(section)}]")
        tables = []
        for k, v in table.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                tables.append((k, v))
            else:
                out.append(f"{json.dumps(k)} = {value(v)}")
        for k, rows in tables:
            for row in rows:
                out.append(f"[[{json.dumps(section)}.{json.dumps(k)}]]")
                out += [f"{json.dumps(str(rk))} = {value(rv)}" for rk, rv in row.items()]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------- generators
def nested(kind: str, depth: int) -> str:
    if kind == "arrays":
        return "x = " + "[" * depth + "1" + "]" * depth + "\n"
    if kind == "inline":
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    if kind == "dotted":
        return ".".join(["k"] * depth) + " = 1\n"
    if kind == "tables":
        return "[" + ".".join(["t"] * depth) + "]\nx = 1\n"
    if kind == "aot":
        return "[[" + ".".join(["t"] * depth) + "]]\nx = 1\n"
    return "x = [" + "{a = [" * depth + "]}" * depth + "]\n"  # mixed


def random_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            lambda: rng.randint(-(10**6), 10**6),
            lambda: rng.choice([0, -1, 1, 2**63, -(2**63), 10**18, 10**100]),
            lambda: rng.uniform(-10, 10),
            lambda: rng.choice([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324]),
            lambda: rng.choice(
                ["", "integration", "phased", "x" * 5000, "\u202e\u0000"[:1], "../../etc/passwd"]
            ),
            lambda: rng.random() < 0.5,
            lambda: [rng.randint(0, 5) for _ in range(rng.randint(0, 5))],
            lambda: {"a": rng.randint(0, 3)},
            lambda: [{"name": "g", "count": rng.choice([1, 500, 10**6])}] * rng.randint(1, 60),
        ]
    )()


def mutate(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    for _ in range(rng.randint(1, 4)):
        sections = [k for k, v in data.items() if isinstance(v, dict)] or ["run"]
        section = rng.choice(sections)
        table = data.setdefault(section, {})
        if not isinstance(table, dict):
            continue
        op = rng.random()
        keys = list(table)
        if op < 0.55 and keys:
            table[rng.choice(keys)] = random_value(rng)
        elif op < 0.7 and keys:
            del table[rng.choice(keys)]
        elif op < 0.85:
            table[rng.choice(["bogus", "count", "seed", "groups", "münchen", ""])] = random_value(rng)
        else:
            data[rng.choice(["nosection", "run", "citizens"])] = random_value(rng)
    return data


def damage(text: str, rng: random.Random) -> bytes:
    raw = text.encode()
    op = rng.randrange(6)
    if op == 0:
        return raw[: rng.randrange(len(raw))]
    if op == 1:
        i = rng.randrange(len(raw))
        return raw[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))) + raw[i:]
    if op == 2:
        lines = text.splitlines()
        i = rng.randrange(len(lines))
        return "\n".join(lines[:i] + [lines[i]] * rng.randint(2, 3) + lines[i:]).encode()
    if op == 3:
        return b"\xef\xbb\xbf" + raw if rng.random() < 0.5 else raw.replace(b"a", b"\xe9", 3)
    if op == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000)))
    return raw.replace(b"=", b"==", 1) if rng.random() < 0.5 else raw.replace(b"]", b"", 1)


def parties(groups: int, count: int, where: tuple[str, ...] = ("departments", "partners")) -> str:
    block = "[[{s}.groups]]\nname = 'g{i}'\ncount = {c}\n"
    return "".join(block.format(s=s, i=i, c=count) for s in where for i in range(groups))


def scenario_cases(n: int, seed: int = 12) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    shipped = sorted(SCENARIOS.glob("*.toml"))
    texts = [p.read_text(encoding="utf-8") for p in shipped]
    datas = [tomllib.loads(t) for t in texts]
    cases: list[tuple[str, bytes]] = []
    for kind in ("arrays", "inline", "dotted", "tables", "aot", "mixed"):
        for depth in (17, 600, 5000):
            cases.append((f"nest-{kind}-{depth}", nested(kind, depth).encode()))
    cases += [
        ("parties-50000", parties(50, 500).encode()),
        ("departments-5000", parties(10, 500, ("departments",)).encode()),
        ("departments-1001", (parties(1, 500, ("departments",)) + parties(1, 501, ("partners",))).encode()),
        ("groups-51", parties(51, 1, ("departments",)).encode()),
        ("empty", b""),
        ("huge-comment", b"# " + b"x" * (2 * 2**20)),
        ("nul", b"[run]\x00months = 3\n"),
        ("citizens-50M", b"[citizens]\ncount = 50000000\n"),
        ("citizens-max-int", b"[citizens]\ncount = 9223372036854775807\n"),
        ("long-string", b'[organisation]\nname = "' + b"x" * 900_000 + b'"\n'),
    ]
    while len(cases) < n:
        i = len(cases)
        pick = rng.randrange(len(texts))
        if rng.random() < 0.7:
            cases.append((f"mutate-{i}", dumps(mutate(datas[pick], rng)).encode()))
        else:
            cases.append((f"damage-{i}", damage(texts[pick], rng)))
    return cases[:n]


def experiment_cases(n: int, seed: int = 13) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    shipped = sorted(EXPERIMENTS.glob("*.toml"))
    texts = [p.read_text(encoding="utf-8") for p in shipped]
    datas = [tomllib.loads(t) for t in texts]
    head = '[experiment]\nbase = "municipality_building_housing"\nmonths = 6\n'
    levels = ", ".join(str(i / 1000) for i in range(1000))
    cases: list[tuple[str, bytes]] = [
        (
            "levels-nested-800",
            (head + "[factors]\nrun.seed = " + "[" * 800 + "1" + "]" * 800 + "\n").encode(),
        ),
        (
            "factorial-1e9",
            (
                head
                + f"[factors]\ncitizens.p = [{levels}]\ncitizens.q = [{levels}]\nnegotiation.consultation = [{levels}]\n"
            ).encode(),
        ),
        (
            "lhs-1e11",
            (
                head
                + 'design = "lhs"\nsamples = 1000000\nreplications = 100000\n[factors]\ncitizens.p = {min = 0, max = 0.01}\n'
            ).encode(),
        ),
        (
            "reps-2x100000",
            (
                head + 'replications = 100000\n[factors]\nservice.model = ["integration", "fragmentation"]\n'
            ).encode(),
        ),
        (
            "sobol-big",
            (
                head
                + 'design = "sobol"\nsamples = 1000000\n[factors]\ncitizens.p = {min = 0, max = 0.01}\ncitizens.q = {min = 0, max = 0.1}\n'
            ).encode(),
        ),
        (
            "small-ok",
            (
                head
                + 'replications = 2\n[factors]\nservice.model = ["integration", "fragmentation"]\n[fixed]\ncitizens.count = 200\n'
            ).encode(),
        ),
        ("base-passwd", b'[experiment]\nbase = "/etc/passwd"\n[factors]\nrun.seed = [1, 2]\n'),
        ("base-self", b'[experiment]\nbase = "exp.toml"\n[factors]\nrun.seed = [1, 2]\n'),
        (
            "base-deep",
            (
                head.replace("municipality_building_housing", "deep.toml") + "[factors]\nrun.seed = [1]\n"
            ).encode(),
        ),
    ]
    for kind in ("arrays", "inline", "dotted", "tables", "aot", "mixed"):
        cases.append((f"nest-{kind}-2000", (head + nested(kind, 2000)).encode()))
    for path, data in zip(shipped, datas, strict=True):  # valid, small: these should run
        small = json.loads(json.dumps(data))
        small["experiment"].update(months=6, replications=1)
        small.pop("quick", None)
        small.setdefault("fixed", {})["citizens.count"] = 200
        cases.append((f"small-{path.stem}", dumps(small).encode()))
    while len(cases) < n:
        i = len(cases)
        pick = rng.randrange(len(texts))
        if rng.random() < 0.7:
            data = mutate(datas[pick], rng)
            exp = data.setdefault("experiment", {})
            if isinstance(exp, dict) and rng.random() < 0.8:
                exp["months"] = rng.choice([6, 6, 6, 0, -5, 10**9, "six"])
            if isinstance(exp, dict) and rng.random() < 0.7:
                exp["replications"] = 1  # so that small designs fit in --max-runs and run
            fixed = data.setdefault("fixed", {})
            if isinstance(fixed, dict) and rng.random() < 0.8:
                fixed["citizens.count"] = 200
            cases.append((f"mutate-{i}", dumps(data).encode()))
        else:
            cases.append((f"damage-{i}", damage(texts[pick], rng)))
    return cases[:n]


# ---------------------------------------------------------------------- running
class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def outcome(argv: list[str]) -> str:
    """'rejected' (exit 2), 'ran' (exit 0/1), or raises: a traceback or Hang."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    try:
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse
            rc = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if rc == 2:
        return "rejected"
    assert rc in (0, 1), f"exit {rc}"
    return "ran"


def check_case(tmp: Path, name: str, raw: bytes, kind: str, capsys) -> str:
    folder = tmp / name
    folder.mkdir()
    path = folder / ("exp.toml" if kind == "experiment" else "scenario.toml")
    path.write_bytes(raw)
    (folder / "deep.toml").write_text(nested("arrays", 3000), encoding="utf-8")
    out = folder / "out"
    if kind == "scenario":
        result = outcome(["validate", str(path)])
        if result == "ran":
            result = outcome(
                ["run", str(path), "--steps", "2", "--set", "citizens.count=200", "--out", str(out)]
            )
    else:
        result = outcome(["sweep", str(path), "--out", str(out), "--workers", "1", "--max-runs", "40"])
    err = capsys.readouterr().err
    if result == "rejected":
        assert "Traceback" not in err and err.strip(), f"{name}: rejected without a message"
        assert str(path) in err or "--" in err or "usage:" in err, (
            f"{name}: message does not name the file: {err}"
        )
        assert not out.exists(), f"{name}: rejected but wrote {out}"
        if "--max-runs" in err:
            return "rejected: too many runs"
    return result


def run_cases(tmp_path: Path, cases: list[tuple[str, bytes]], kind: str, capsys) -> Counter:
    counts: Counter = Counter()
    problems = []
    for name, raw in cases:
        try:
            counts[check_case(tmp_path, name, raw, kind, capsys)] += 1
        except Hang:
            counts["hang"] += 1
            problems.append(f"{name}: hang (> {CASE_SECONDS} s)")
        except Exception as exc:  # a traceback the user would have seen
            counts["traceback"] += 1
            problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
    with capsys.disabled():
        print(f"\nfuzz {kind}: {len(cases)} cases: {dict(counts)}")
    assert not problems, "\n".join(problems)
    counts["rejected"] += counts.pop("rejected: too many runs", 0)
    return counts


def test_generators_make_distinct_cases():
    s, e = scenario_cases(SCENARIO_CASES), experiment_cases(EXPERIMENT_CASES)
    assert len(s) >= 200 and len(e) >= 60
    assert len({raw for _, raw in s}) > 0.95 * len(s) and len({raw for _, raw in e}) > 0.9 * len(e)


def test_fuzz_sample_scenarios(tmp_path, capsys):
    cases = scenario_cases(SCENARIO_CASES)
    counts = run_cases(tmp_path, cases[:30] + cases[-10:], "scenario", capsys)
    assert counts["rejected"] >= 20


def test_fuzz_sample_experiments(tmp_path, capsys):
    counts = run_cases(tmp_path, experiment_cases(EXPERIMENT_CASES)[:15], "experiment", capsys)
    assert counts["rejected"] >= 10 and counts["ran"] >= 1


@pytest.mark.slow
def test_fuzz_scenarios(tmp_path, capsys):
    counts = run_cases(tmp_path, scenario_cases(SCENARIO_CASES), "scenario", capsys)
    assert counts["rejected"] + counts["ran"] == SCENARIO_CASES and counts["ran"] >= 1


@pytest.mark.slow
def test_fuzz_experiments(tmp_path, capsys):
    counts = run_cases(tmp_path, experiment_cases(EXPERIMENT_CASES), "experiment", capsys)
    assert counts["rejected"] + counts["ran"] == EXPERIMENT_CASES and counts["ran"] >= 1
