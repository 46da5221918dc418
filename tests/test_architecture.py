"""The package's layering (docs/ARCHITECTURE.md): contracts kept, no import cycles, old
import paths still working, and modules small enough to read at once."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulation"
MAX_LINES = 600


def _lint_imports(cwd: Path, env_path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), f"{exe} missing: import-linter is a dev dependency (requirements/dev.txt)"
    return subprocess.run(
        [str(exe), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(env_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_layer_contracts_are_kept() -> None:
    done = _lint_imports(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Contracts: (\d+) kept, 0 broken", done.stdout), done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contract can fail: a mechanism importing the runner (two layers up) is caught."""
    shutil.copytree(PACKAGE, tmp_path / "simulation", ignore=shutil.ignore_patterns("_data", "__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    trust = tmp_path / "simulation" / "mechanisms" / "trust.py"
    trust.write_text(trust.read_text() + "\nfrom ..runs import runner  # noqa\n")
    done = _lint_imports(tmp_path, tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and "simulation.mechanisms.trust -> simulation.runs.runner" in done.stdout


def _cycles() -> tuple[int, list[list[str]]]:
    """The number of modules, and the strongly connected components (Tarjan) of more than
    one module: type-checking and function-level imports included."""
    import grimp

    graph = grimp.build_graph("simulation", include_external_packages=False)
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in adj:
        if m not in index:
            visit(m)
    return len(adj), found


def test_no_import_cycles() -> None:
    n, cycles = _cycles()
    assert n > 80, n  # the whole package was seen
    assert cycles == [], "import cycles (each list imports itself round)"


def test_old_import_paths_are_the_new_modules() -> None:
    from simulation._moved import MOVED

    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert len(MOVED) >= 29 and f"the {len(MOVED)} old names" in doc
    for old, new in MOVED.items():
        module = importlib.import_module(old)
        assert module is importlib.import_module(new), old
        assert module.__name__ == new and module.__spec__.name == new, old
        assert not (PACKAGE / (old.split(".", 1)[1] + ".py")).exists(), f"{old}: file still there"
    from simulation.runner import run  # the way users' scripts import it

    from simulation.runs import runner

    assert run is runner.run
    with mock.patch("simulation.runner.run_title", return_value="patched"):
        assert runner.run_title(None) == "patched"


def test_modules_are_small_or_say_why() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    unexplained = [f for f in big if f"`{f}`" not in text]
    assert not unexplained, f"over {MAX_LINES} lines without a reason in docs/ARCHITECTURE.md: {unexplained}"


def test_architecture_names_every_subpackage() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for sub in sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")):
        assert f"simulation/{sub}/" in text, sub
