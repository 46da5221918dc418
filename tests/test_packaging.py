"""Packaging and CLI plumbing (issue 9): shipped files, --version, broken pipes, progress
bars, the memory check, validated run() overrides, lazy imports and the pandas-free CSV.

The installed-wheel check (build, clean venv, every command from another folder) is
scripts/wheel-check.sh, which CI runs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, cli, egov_sim
from hypothesis import given, settings, strategies as st

import simulation
from simulation.cli import progress_disabled
from simulation.experiments.spec import shipped_experiments
from simulation.io import resources, scenario_io
from simulation.io.csvout import rows_to_csv, to_csv
from simulation.io.scenario_io import ScenarioError, load_scenario, shipped_scenarios
from simulation.runs.runner import run


# ---------------------------------------------------------------------- shipped files
def test_checkout_reads_the_repository_folders() -> None:
    assert resources.in_checkout()
    assert resources.folder("scenarios") == REPO / "scenarios"
    assert set(shipped_scenarios()) == {p.stem for p in (REPO / "scenarios").glob("*.toml")}
    assert set(shipped_experiments()) == {p.stem for p in (REPO / "experiments").glob("*.toml")}
    assert resources.data_file("nl_egov_adoption.csv").is_file()


def test_installed_layout_reads_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a checkout the package data (simulation/_data/<kind>) are used, and a
    scenario present there is listed and loads by name."""
    fake_pkg = tmp_path / "site" / "simulation"
    (fake_pkg / "_data" / "scenarios").mkdir(parents=True)
    (fake_pkg / "_data" / "scenarios" / "only_here.toml").write_text(
        "# Only in the package data.\n[citizens]\ncount = 123\n", encoding="utf-8"
    )
    monkeypatch.setattr(resources, "_CHECKOUT", tmp_path / "site")  # no pyproject.toml there
    monkeypatch.setattr(resources, "_packaged", lambda kind: fake_pkg / "_data" / kind)
    assert not resources.in_checkout()
    assert list(shipped_scenarios()) == ["only_here"]
    assert load_scenario("only_here").citizens.count == 123


def test_missing_package_data_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_CHECKOUT", tmp_path)
    monkeypatch.setattr(resources, "_packaged", lambda kind: None)
    with pytest.raises(FileNotFoundError, match="shipped experiments are missing.*reinstall"):
        resources.folder("experiments")
    with pytest.raises(ValueError, match="scenarios, experiments, data"):
        resources.folder("models")


def test_build_hook_copies_every_file_of_the_top_level_folders() -> None:
    """setup.py copies by pattern, so a new scenario file needs no list to be edited."""
    text = (REPO / "setup.py").read_text(encoding="utf-8")
    assert '"scenarios": ("*.toml",)' in text and '"experiments": ("*.toml",)' in text
    manifest = (REPO / "MANIFEST.in").read_text(encoding="utf-8")
    for line in ("graft scenarios", "graft experiments", "graft data", "graft docs", "graft tests"):
        assert line in manifest


# ---------------------------------------------------------------------- metadata
def test_version_has_one_source_and_the_cli_prints_it() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("egov-sim") == simulation.__version__
    res = cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"egov-sim {simulation.__version__}"


def test_project_metadata() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and (REPO / "LICENSE").is_file()
    assert project["urls"] and any("Python :: 3.12" in c for c in project["classifiers"])
    assert set(project["optional-dependencies"]) >= {"app", "dask", "dev"}
    core = " ".join(project["dependencies"]).lower()
    for heavy in ("solara", "ipyvue", "dask", "pytest", "mesa[viz]"):
        assert heavy not in core, heavy
    assert (REPO / "simulation" / "py.typed").is_file()
    cff = (REPO / "CITATION.cff").read_text(encoding="utf-8")
    assert "cff-version:" in cff and f"version: {simulation.__version__}" in cff


# ---------------------------------------------------------------------- plumbing
@pytest.mark.parametrize("args", [["params"], ["--help"]])
def test_broken_pipe_exits_quietly(args: list[str]) -> None:
    proc = subprocess.Popen([*egov_sim(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # the reader is gone before the command writes anything
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    # 141 = 128 + SIGPIPE, as other tools; --help may finish writing before it notices.
    assert proc.returncode == 141 if args == ["params"] else proc.returncode in (0, 141)


def test_progress_bars_honour_tqdm_disable_and_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    class Pipe:
        def isatty(self) -> bool:
            return False

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("EGOV_SIM_NO_PROGRESS", raising=False)
    assert not progress_disabled(Tty())
    assert progress_disabled(Pipe())
    for value, off in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("TQDM_DISABLE", value)
        assert progress_disabled(Tty()) is off, value


def test_memory_check_without_meminfo_or_sysconf(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Windows: no /proc/meminfo, no os.sysconf; the check is skipped, not a crash."""
    real_open = open

    def no_meminfo(path, *a, **k):
        if str(path) == "/proc/meminfo":
            raise FileNotFoundError(path)
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", no_meminfo)
    monkeypatch.delattr(os, "sysconf")
    monkeypatch.setattr(os, "name", "posix")
    assert scenario_io.available_memory() is None
    assert load_scenario(None, overrides={"citizens": {"count": 1000}}).citizens.count == 1000


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"steps": 0}, "[run] months: must be ≥ 1"),
        ({"steps": 5000}, "[run] months"),
        ({"seed": -1}, "[run] seed"),
    ],
)
def test_run_overrides_are_validated(kwargs: dict[str, int], needle: str) -> None:
    config = load_scenario(None, overrides={"citizens": {"count": 200}, "run": {"months": 6}})
    with pytest.raises(ScenarioError) as exc:
        run(config, **kwargs)
    assert needle in str(exc.value) and "run(" in str(exc.value)


def test_run_overrides_apply() -> None:
    config = load_scenario(None, overrides={"citizens": {"count": 200}, "run": {"months": 6}})
    res = run(config, seed=5, steps=4)
    assert res.config.run.months == 4 and res.seed == 5 and len(res.timeseries) == 5


# ---------------------------------------------------------------------- start-up
PROBE = """
import json, sys
from simulation.cli import main
code = main(["run", "municipality_building_housing", "--set", "citizens.count=500", "--steps", "12",
             "--out", sys.argv[1]])
real = {m: type(sys.modules[m]).__name__ for m in ("mesa", "pandas", "networkx", "matplotlib",
        "scipy.sparse") if m in sys.modules}
print(json.dumps({"code": code, "modules": real}))
"""


def _probe_run(out: Path, **env: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1", **env},
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_run_parent_imports_only_what_it_needs_and_results_are_identical(tmp_path: Path) -> None:
    """The parent of `egov-sim run` loads no pandas, networkx, matplotlib or scipy.sparse
    and not Mesa's package __init__; the outputs are byte-identical to a run with the plain
    `import mesa`."""
    lean = _probe_run(tmp_path / "lean")
    full = _probe_run(tmp_path / "full", EGOV_SIM_FULL_MESA="1")
    assert lean["code"] == 0 and full["code"] == 0
    assert lean["modules"].get("mesa") == "_Deferred"
    assert lean["modules"].get("pandas") in (None, "_OnFirstUse")
    assert "networkx" not in lean["modules"] and "matplotlib" not in lean["modules"]
    assert "scipy.sparse" not in lean["modules"]
    assert full["modules"]["mesa"] == "module" and "networkx" in full["modules"]
    for name in ("timeseries.csv", "scorecard.csv", "kpis.json", "adoption.png"):
        assert (tmp_path / "lean" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name


def test_deferred_mesa_completes_on_first_use() -> None:
    code = (
        "import sys, simulation.model, mesa\n"
        "assert type(mesa).__name__ == '_Deferred' and 'networkx' not in sys.modules\n"
        "from mesa.discrete_space import OrthogonalMooreGrid\n"
        "assert mesa.batch_run and mesa.__version__ and mesa.Agent is simulation.model.mesa.Agent\n"
        "import pandas\n"
        "assert pandas.DataFrame({'a': [1]}).shape == (1, 1)\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_quick_mesa_loggers_log_what_mesa_logs() -> None:
    """The light Mesa import's loggers (no inspect.stack()) name the same loggers and log
    the same debug lines as Mesa's own."""
    code = (
        "import logging, sys\n"
        "lines = []\n"
        "class H(logging.Handler):\n"
        "    def emit(self, record): lines.append((record.name, record.getMessage()))\n"
        "log = logging.getLogger('MESA'); log.setLevel(logging.DEBUG); log.addHandler(H())\n"
        "from simulation._mesa import mesa\n"
        "mesa.Model(rng=3)\n"
        "print(repr([l for l in lines if 'calling' in l[1]]))\n"
    )
    out = []
    for env in ({}, {"EGOV_SIM_FULL_MESA": "1"}):
        res = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, **env},
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        out.append(res.stdout.strip().splitlines()[-1])
    assert out[0] == out[1]
    assert "calling Model.__init__" in out[0] and "MESA.mesa.model" in out[0]


def test_run_outputs_equal_pandas_to_csv(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        cli(
            "run", "vehicle_registration", "--set", "citizens.count=400", "--steps", "18", "--out", out
        ).returncode
        == 0
    )
    res = run(load_scenario("vehicle_registration", sets=["citizens.count=400", "run.months=18"]))
    assert (out / "timeseries.csv").read_text(encoding="utf-8") == res.timeseries.to_csv(index=False)
    assert (out / "scorecard.csv").read_text(encoding="utf-8") == res.scorecard.to_csv(index=False)


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda rows: st.lists(st.lists(_cell, min_size=rows, max_size=rows), min_size=1, max_size=4)
    )
)
def test_csv_writer_matches_pandas_bytes(columns: list[list]) -> None:
    data = {f"c{i}": col for i, col in enumerate(columns)}
    text = to_csv(data)
    if text is not None:  # None: a column type left to pandas
        assert text == pd.DataFrame(data).to_csv(index=False)


def test_csv_writer_handles_the_run_column_types() -> None:
    data = {"step": [0, 1], "share": [0.0, math.nan], "flag": [True, False], "name": ["a", "b"]}
    assert to_csv(data) == pd.DataFrame(data).to_csv(index=False)
    rows = [{"perspective": "x", "v": 1.5}, {"perspective": "y", "v": -2.0}]
    assert rows_to_csv(rows) == pd.DataFrame(rows).to_csv(index=False)
    assert to_csv({"a": [1, None]}) is None and to_csv({"s": [""]}) is None
    quoted = {"month": [1, 2], "cause": ["a, b", 'say "x"\nnext']}
    assert to_csv(quoted) == pd.DataFrame(quoted).to_csv(index=False)


# ---------------------------------------------------------------------- too old a Python
def test_too_old_python_is_named_by_the_wheel_metadata_and_the_source_build() -> None:
    """Issue 9: on Python 3.11, pip (23.2, as 3.11 ships it) reported "No matching
    distribution found for mesa" for the wheel. Mesa, the only dependency without a 3.11
    release, carries a marker restating requires-python, so pip gets to egov-sim's own
    Requires-Python ("requires a different Python"); a source build (sdist, ``pip install
    .``) stops in setup.py with a message naming the requirement."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floor = SpecifierSet(project["requires-python"])
    (minimum,) = (s.version for s in floor if s.operator == ">=")
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["app"]]
    mesa = [r for r in reqs if r.name == "mesa"]
    assert len(mesa) == 2
    for r in mesa:
        assert str(r.marker) == f'python_version >= "{minimum}"', r
        for version in ("3.9", "3.10", "3.11"):
            assert not r.marker.evaluate({"python_version": version, "extra": "app"}), (r, version)
            assert version not in floor
        assert r.marker.evaluate({"python_version": minimum, "extra": "app"})
    major, minor = map(int, minimum.split("."))
    guard = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.version_info = ({major}, {minor - 1}, 0); "
            "exec(compile(open('setup.py').read(), 'setup.py', 'exec'))",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert guard.returncode == 1 and f"egov-sim needs Python >= {minimum}" in guard.stderr, guard.stderr


def test_package_version_equals_importlib_metadata() -> None:
    """The manifest's quick version lookup gives importlib.metadata's answer for every
    installed distribution (egov-sim's editable install included)."""
    from importlib import metadata

    from simulation.io.resources import package_version

    names = sorted({d.metadata["Name"] for d in metadata.distributions()} - {None})
    assert "egov-sim" in names and len(names) > 20
    assert {n: package_version(n) for n in names} == {n: metadata.version(n) for n in names}
    assert package_version("no-such-distribution-egov") == "not installed"
