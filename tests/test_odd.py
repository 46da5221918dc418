"""docs/ODD.md stays in step with the code: every parameter, group key, KPI and series is
documented, and the parameter table carries the code's defaults and ranges."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation.config import PartyGroup, ScenarioConfig, scalar_parameters
from simulation.model import SERIES, STREAMS
from simulation.outputs.docs import parameter_rows
from simulation.outputs.kpis import KPI_INFO
from simulation.outputs.scorecard import FORMULAS

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
REGENERATE = "regenerate the base table with `egov-sim params` and update docs/ODD.md §8"


@pytest.fixture(scope="module")
def odd() -> str:
    assert ODD.is_file(), f"{ODD} is missing"
    return ODD.read_text(encoding="utf-8")


def _cells(line: str) -> list[str]:
    """Cells of a markdown table row; ``\\|`` inside a cell is not a separator."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


@pytest.fixture(scope="module")
def parameter_table(odd: str) -> dict[str, list[str]]:
    """Rows of the §8 table (parameter | unit | default | range | meaning | source) by key."""
    section = odd.split("## 8. Parameters", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = _cells(line)
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_scalar_parameter_is_documented(odd: str) -> None:
    missing = [key for key in scalar_parameters() if f"`{key}`" not in odd]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}"


def test_every_group_key_is_documented(odd: str) -> None:
    missing = [f"<group>.{key}" for key in PartyGroup.model_fields if f"`<group>.{key}`" not in odd]
    assert not missing, f"party-group keys missing from docs/ODD.md: {missing}"


def test_every_kpi_and_series_is_documented(odd: str) -> None:
    missing = [name for name in (*KPI_INFO, *SERIES) if f"`{name}`" not in odd]
    assert not missing, f"KPIs/series missing from docs/ODD.md: {missing}"


def test_random_streams_and_scorecard_cells_are_documented(odd: str) -> None:
    missing = [f"stream {s}" for s in STREAMS if f'"{s}"' not in odd]
    missing += [f"{p} x {r}" for p, row in FORMULAS.items() for r, text in row.items() if text not in odd]
    assert not missing, f"missing from docs/ODD.md: {missing}"


def test_parameter_table_matches_the_code(parameter_table: dict[str, list[str]]) -> None:
    rows = parameter_rows()
    assert len(rows) > 100  # the generator itself still lists every key
    problems = []
    for key, default, rng, meaning in rows:
        cells = parameter_table.get(key)
        if cells is None:
            problems.append(f"{key}: no row")
            continue
        if len(cells) != 6:
            problems.append(f"{key}: expected 6 columns, got {len(cells)}")
            continue
        _, unit, doc_default, doc_range, doc_meaning, source = cells
        if (doc_default, doc_range, doc_meaning) != (default, rng, meaning):
            problems.append(
                f"{key}: ODD has {(doc_default, doc_range, doc_meaning)}, code {(default, rng, meaning)}"
            )
        if not unit or not source:
            problems.append(f"{key}: unit or source column empty")
    extra = set(parameter_table) - {k for k, *_ in rows}
    problems += [f"{key}: in ODD but not in the code" for key in sorted(extra)]
    assert not problems, f"{REGENERATE}:\n" + "\n".join(problems)


def test_calibrated_defaults_cite_the_posterior(parameter_table: dict[str, list[str]]) -> None:
    """The calibrated defaults are the shipped posterior's medians (issue 19), and their
    source says so, with the interval and that the stand-in remains an assumption."""
    from simulation.runs.ensemble import shipped_posterior

    post = shipped_posterior()
    assert post is not None
    median = post.median()
    for key in ("citizens.p", "citizens.q", "citizens.age_gradient", "citizens.education_gradient"):
        default, source = float(parameter_table[key][2]), parameter_table[key][5]
        assert abs(default - median[key]) <= 0.03 * median[key], (key, default, median[key])
        for needed in ("calibration", "posterior median", "docs/VALIDATION.md §3a"):
            assert needed in source, f"{key}: source lacks {needed!r}"


def test_default_groups_table_matches_the_code(odd: str) -> None:
    section = odd.split("## 5. Initialisation", 1)[1].split("\n## ", 1)[0]
    table = {_cells(line)[0]: _cells(line) for line in section.splitlines() if line.startswith("| ")}
    cfg = ScenarioConfig()
    for where, groups in (("departments", cfg.departments.groups), ("partners", cfg.partners.groups)):
        for g in groups:
            assert g.name in table, f"default group {g.name!r} missing from the ODD §5 table"
            _, section_name, *values = table[g.name]
            expected = [g.count, str(g.public).lower(), g.power, g.resistance, g.readiness, g.reach, g.staff]
            assert section_name == where, g.name
            assert values == [f"{v:g}" if isinstance(v, float) else str(v) for v in expected], g.name
