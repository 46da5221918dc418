"""Bad input (issue 2, point 5) through the real command line.

Each case runs ``egov-sim run FILE --out DIR`` and ``egov-sim validate FILE`` in a
subprocess and must end with exit code ≠ 0, one message on stderr naming the file and
the key (and what is allowed), no traceback, and no output folder (nor a hidden
temporary sibling) left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import cli, refused_for_memory

from simulation import ScenarioError, load_scenario
from simulation.io import scenario_io
from simulation.io.atomic import atomic_dir

HUGE = 50_000_000  # the schema's largest [citizens] count


def _drop_root_read_override() -> list[str]:
    """As root, chmod 000 does not stop reading; drop CAP_DAC_OVERRIDE/READ_SEARCH so it does."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return ["<no setpriv>"]
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


@dataclass
class Case:
    name: str
    expect: list[str]  # substrings of the message besides the file name
    text: str | None = None  # file content (UTF-8)
    raw: bytes | None = None  # or raw bytes
    kind: str = "file"  # file | missing | directory | fifo | unreadable
    prefix: list[str] = field(default_factory=list)
    # Variants of a required case go through validate only (each call costs ~1 s start-up).
    commands: tuple[str, ...] = ("run", "validate")


CASES = [
    Case(
        "unknown_key",
        ["[citizens]", "cout", "unknown key", "did you mean 'count'"],
        "[citizens]\ncout = 500\n",
    ),
    Case(
        "unknown_section",
        ["[citizen]", "did you mean 'citizens'"],
        "[citizen]\ncount = 500\n",
        commands=("validate",),
    ),
    Case("wrong_type", ["[citizens] count", "whole number", "'many'"], '[citizens]\ncount = "many"\n'),
    Case(
        "wrong_type_bool",
        ["[rollout] wait_for_previous", "true or false"],
        "[rollout]\nwait_for_previous = 3.5\n",
        commands=("validate",),
    ),
    Case("out_of_range", ["[trust] build_rate", "≤ 1", "1.5"], "[trust]\nbuild_rate = 1.5\n"),
    Case(
        "out_of_range_low",
        ["[citizens] count", "≥ 10", "-5"],
        "[citizens]\ncount = -5\n",
        commands=("validate",),
    ),
    Case(
        "unknown_enum",
        ["[service] model", "'outsourcing'", "'integration'", "'fragmentation'"],
        '[service]\nmodel = "outsourcing"\n',
    ),
    Case(
        "unknown_enum_rollout",
        ["[rollout] strategy", "'big_bang'", "'phased'"],
        '[rollout]\nstrategy = "gradual"\n',
        commands=("validate",),
    ),
    Case("toml_syntax", ["TOML syntax error", "line 3"], "[run]\nmonths = 12\nseed = = 3\n"),
    Case("missing", ["not found"], kind="missing"),
    Case("directory", ["is a directory"], kind="directory"),
    Case("fifo", ["not a regular file"], kind="fifo"),
    Case("invalid_utf8", ["not UTF-8"], raw=b"[run]\nmonths = 12 # caf\xe9\n"),
    Case("binary", ["binary file"], raw=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 4),
    Case("unreadable", ["cannot read", "Permission denied"], "[run]\nmonths = 12\n", kind="unreadable"),
    Case("too_large", ["[citizens] count", "GiB", "50,000,000"], f"[citizens]\ncount = {HUGE}\n"),
]


def _make(case: Case, root: Path) -> Path:
    folder = root / case.name
    folder.mkdir()
    path = folder / "scenario.toml"
    if case.kind == "directory":
        path.mkdir()
    elif case.kind == "fifo":
        os.mkfifo(path)
    elif case.kind != "missing":
        if case.raw is not None:
            path.write_bytes(case.raw)
        else:
            path.write_text(case.text or "", encoding="utf-8")
        if case.kind == "unreadable":
            path.chmod(0)
            case.prefix = _drop_root_read_override()
    return path


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every case through both commands, several processes at a time."""
    root = tmp_path_factory.mktemp("bad")
    jobs = []
    for case in CASES:
        path = _make(case, root)
        out = root / case.name / "outputs" / "run1"
        if "run" in case.commands:
            jobs.append((case, "run", path, out, ["run", path, "--out", out]))
        jobs.append((case, "validate", path, out, ["validate", path]))

    def call(job):
        case, command, path, out, args = job
        if case.prefix[:1] == ["<no setpriv>"]:
            return job, None
        return job, cli(*args, prefix=case.prefix)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(call, jobs))
    return {(job[0].name, job[1]): (job, proc) for job, proc in results}


@pytest.mark.parametrize(
    ("case", "command"),
    [(c, cmd) for c in CASES for cmd in c.commands],
    ids=[f"{c.name}-{cmd}" for c in CASES for cmd in c.commands],
)
def test_bad_input_gives_one_clear_message_and_leaves_nothing(outcomes, case: Case, command: str) -> None:
    (_, _, path, out, _), proc = outcomes[(case.name, command)]
    if proc is None:
        pytest.skip("running as root without setpriv: chmod 000 cannot make a file unreadable")
    if case.name == "too_large" and not refused_for_memory(HUGE):
        pytest.skip("this machine has memory for the schema's largest population (not so at 24 GiB)")
    stderr = proc.stderr.strip()
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(stderr.splitlines()) == 1, stderr  # one message
    assert stderr.startswith("egov-sim: error: ")
    assert str(path) in stderr
    for text in case.expect:
        assert text in stderr, (text, stderr)
    assert proc.stdout == ""
    # Nothing half-written: neither the folder nor a hidden temporary sibling.
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_the_unreadable_case_really_is_unreadable(tmp_path) -> None:
    """Guard for the test above: under the prefix used, reading a chmod-000 file fails."""
    path = tmp_path / "x.toml"
    path.write_text("[run]\n")
    path.chmod(0)
    prefix = _drop_root_read_override()
    if prefix[:1] == ["<no setpriv>"]:
        pytest.skip("running as root without setpriv")
    proc = subprocess.run([*prefix, "cat", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0 and "Permission denied" in proc.stderr


def test_memory_check_refuses_what_would_not_fit(monkeypatch) -> None:
    """Machine-independent: with 1 GiB available, 2,000,000 citizens (≈ 1.7 GiB) are
    refused with the key named, 100,000 are accepted."""
    monkeypatch.setattr(scenario_io, "available_memory", lambda: 2**30)
    with pytest.raises(ScenarioError, match=r"\[citizens\] count: 2,000,000 citizens need about"):
        load_scenario(None, overrides={"citizens": {"count": 2_000_000}})
    assert load_scenario(None, overrides={"citizens": {"count": 100_000}}).citizens.count == 100_000


def test_estimated_memory_is_not_below_a_real_allocation() -> None:
    """The estimate must at least cover the citizens' state arrays and network (checked
    at 20,000 citizens against the bytes numpy/scipy actually hold)."""
    from simulation import EGovModel

    cfg = load_scenario(None, overrides={"citizens": {"count": 20_000}, "run": {"months": 1}})
    model = EGovModel(cfg, rng=1)
    pop = model.population
    held = sum(v.nbytes for v in vars(pop).values() if hasattr(v, "nbytes"))
    adj = pop.adjacency
    held += adj.data.nbytes + adj.indices.nbytes + adj.indptr.nbytes
    assert scenario_io.estimated_memory(cfg) > held


def test_a_failure_inside_atomic_dir_leaves_nothing(tmp_path) -> None:
    out = tmp_path / "parent" / "result"
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "timeseries.csv").write_text("half")
        raise RuntimeError("disk full")
    assert not out.exists()
    assert list(out.parent.iterdir()) == []


def test_out_pointing_into_a_file_is_refused_before_running(tmp_path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    proc = cli("run", "water_board", "--steps", "2", "--set", "citizens.count=100", "--out", blocker / "x")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "is not a folder" in proc.stderr and str(blocker) in proc.stderr
    assert blocker.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
