"""The configuration's own validation (simulation/sections.py) against pydantic itself.

Every scalar key of the scenario and every party-group key gets a battery of values (wrong
types, bounds and just inside or outside them, nan and infinities, huge integers); the
structure gets wrong tables, lists, lengths and unknown keys. For each input both
validators must agree: the same valid values (same types), or the same errors (type,
location, input and context), so every error message stays what it was.
"""

from __future__ import annotations

import copy
import enum
import math
import pickle
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.config import PartyGroup, RunConfig, ScenarioConfig, scalar_parameters
from simulation.io.scenario_io import ScenarioError, deep_merge, validate
from simulation.sections import Field, Section, SectionError, to_pydantic

pydantic = pytest.importorskip("pydantic")  # a dependency (experiment files use it)

REPO = Path(__file__).resolve().parent.parent
TWIN = to_pydantic(ScenarioConfig)
DEFAULTS = ScenarioConfig().model_dump()
ODD = [None, True, False, "3", "integration", 0, 1, 3, 2, 3.5, 0.0, -1, -1e-9, 1e9, -(2**70), 2**70, 10**400]
ODD += [math.nan, math.inf, -math.inf, [], {}, [1], "x" * 121, "big-bang", "small_world"]


def _norm(errors: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for e in errors:
        ctx = dict(e.get("ctx") or {})
        if "error" in ctx:
            ctx["error"] = str(ctx["error"])
        out.append((e["type"], tuple(e["loc"]), repr(e["input"]), repr(ctx)))
    return out


def _both(data: dict[str, Any]) -> tuple[Any, Any]:
    """(ours, pydantic's): each a dump, or the normalised list of errors."""
    results = []
    for cls, error in ((ScenarioConfig, SectionError), (TWIN, pydantic.ValidationError)):
        try:
            dump = cls.model_validate(data).model_dump()
            results.append(("ok", repr(dump), [type(v).__name__ for s in dump.values() for v in s.values()]))
        except error as exc:
            results.append(("error", _norm(exc.errors())))
    return results[0], results[1]


def _values_for(field: Any) -> list[Any]:
    edges = []
    for bound in field.bounds().values():
        edges += [bound, bound - 1, bound + 1, bound - 1e-9, bound + 1e-9, float(bound), int(bound)]
    return ODD + edges


def test_every_scalar_key_agrees_with_pydantic() -> None:
    cases = disagreements = 0
    bad = []
    for name, (cls, key) in scalar_parameters().items():
        section = name.split(".")[0]
        for value in _values_for(cls.model_fields[key]):
            data = deep_merge(DEFAULTS, {section: {key: value}})
            ours, theirs = _both(data)
            cases += 1
            if ours != theirs:
                disagreements += 1
                bad.append((name, value, ours, theirs))
    assert cases > 4000
    assert not bad, f"{disagreements} of {cases} disagree, first: {bad[:3]}"


def test_every_group_key_agrees_with_pydantic() -> None:
    bad = []
    for key, field in PartyGroup.model_fields.items():
        for value in _values_for(field):
            for section in ("departments", "partners"):
                groups = copy.deepcopy(DEFAULTS[section]["groups"])
                groups[-1][key] = value
                ours, theirs = _both(deep_merge(DEFAULTS, {section: {"groups": groups}}))
                if ours != theirs:
                    bad.append((section, key, value, ours, theirs))
    assert not bad, bad[:3]


STRUCTURE = [
    {"run": 3},
    {"run": None},
    {"run": [1]},
    {"run": {"months": 12, "mnths": 3}},
    {"zz": {}},
    {"zz": 1, "run": {"seed": -1}, "citizens": {"degree": 7}},
    {"citizens": {"degree": 7}},
    {"citizens": {"degree": 10, "count": 10}},
    {"citizens": {"degree": 3, "count": 2}},
    {"departments": {"groups": []}},
    {"departments": {"groups": "x"}},
    {"departments": {"groups": (1,)}},
    {"departments": {"groups": [1, {"count": 0}, {}]}},
    {"departments": {"groups": [{}] * 51}},
    {"departments": {"groups": [1] * 51}},
    {"partners": {"groups": []}},
    {"partners": {"groups": [{"name": "a", "zz": 1}, {"power": 2}]}},
    {"rollout": {"strategy": "big-bang"}},
    {"rollout": {"strategy": "pilot-"}},
    {"rollout": {"strategy": 3}},
    {"rollout": {"strategy": "Phased"}},
    {"service": {"model": "hybrid", "audience": "businesses"}},
    {"organisation": {"type": "province", "citizen_contact": None, "government_value": 2}},
    {"citizens": {"population": None}},
    {"citizens": {"population": 0}},
]


@pytest.mark.parametrize("update", STRUCTURE, ids=[str(i) for i in range(len(STRUCTURE))])
def test_structure_agrees_with_pydantic(update: dict[str, Any]) -> None:
    ours, theirs = _both(deep_merge(DEFAULTS, update))
    assert ours == theirs


@pytest.mark.parametrize("data", [[1], "x", None, 3])
def test_a_non_table_agrees_with_pydantic(data: Any) -> None:
    ours, theirs = _both(data)
    assert ours == theirs and ours[0] == "error"


class _Kind(enum.StrEnum):
    PROVINCE = "province"
    NAME = "Provincie"


UNUSUAL = [
    {"citizens": {"p": np.float32(0.1), "q": np.float64(0.2), "rewiring": np.int64(0)}},
    {"citizens": {"p": np.float32(2.0)}},
    {"citizens": {"p": Fraction(1, 20), "q": Decimal("0.05")}},
    {"citizens": {"p": Decimal(2), "q": np.bool_(True)}},
    {"citizens": {"p": Decimal("nan"), "q": "0.1"}},
    {"citizens": {"count": np.int64(500)}},
    {"organisation": {"type": _Kind.PROVINCE, "name": _Kind.NAME}},
    {"organisation": {"name": "ab\udcff"}},
    {"run": {1: 3, "months": 2}},
    {1: {}, "run": {"months": 0}},
]


@pytest.mark.parametrize("update", UNUSUAL, ids=[str(i) for i in range(len(UNUSUAL))])
def test_unusual_input_types_agree_with_pydantic(update: dict[Any, Any]) -> None:
    """Numpy scalars, Fraction, Decimal, a StrEnum, a lone surrogate, non-string keys."""
    ours, theirs = _both(deep_merge(DEFAULTS, update))
    assert ours == theirs


def test_object_behaviour_matches_pydantic() -> None:
    ours, twin = RunConfig(months=3), TWIN.model_fields["run"].annotation(months=3)
    assert str(ours) == str(twin) and dict(ours) == dict(twin)
    typo = ours.model_copy(update={"month": 60})
    assert typo == ours and typo.model_dump() == twin.model_copy(update={"month": 60}).model_dump()
    assert "month=" not in repr(typo)
    deep = ScenarioConfig().model_copy(deep=True)
    assert deep == ScenarioConfig() and deep.departments.groups is not ScenarioConfig().departments.groups
    with pytest.raises(SectionError) as exc:
        RunConfig(months=0, seed=-1)
    again = pickle.loads(pickle.dumps(exc.value))  # through a process pool
    assert again.errors() == exc.value.errors() and str(again) == str(exc.value)
    assert exc.value.error_count() == 2
    assert "input" not in exc.value.errors(include_input=False)[0]


def test_defaults_and_schema_match_pydantic() -> None:
    assert ScenarioConfig().model_dump() == TWIN().model_dump()
    assert repr(ScenarioConfig().model_dump()) == repr(TWIN().model_dump())  # 2 stays 2, 2.0 stays 2.0
    assert ScenarioConfig.model_json_schema() == TWIN.model_json_schema()


def test_errors_read_as_before() -> None:
    """The messages users see, through validate() and explain()."""
    with pytest.raises(ScenarioError) as exc:
        validate(
            {"citizens": {"degree": 7, "p": "0.1"}, "rollout": {"strategy": "bigbang"}, "trust": {"x": 1}},
            "f",
        )
    text = str(exc.value)
    assert "f: [citizens] p: expected a number, got '0.1'" in text
    assert (
        "f: [rollout] strategy: 'bigbang' is not allowed; use one of 'big_bang', 'phased' or 'pilot'" in text
    )
    assert "f: [trust] x: unknown key (allowed: initial, build_rate, loss_rate, ceiling_damage)" in text
    with pytest.raises(ScenarioError, match=r"f: \[citizens\]: degree must be even, got 7"):
        validate({"citizens": {"degree": 7}}, "f")
    with pytest.raises(ScenarioError, match=r"\[negotiation\] settle_rate: must be > 0.0, got 0"):
        validate({"negotiation": {"settle_rate": 0}}, "f")


def test_sections_are_frozen_values() -> None:
    cfg = ScenarioConfig()
    with pytest.raises(AttributeError, match="frozen"):
        cfg.run.months = 3  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del cfg.run.seed
    copied = cfg.model_copy(update={"run": cfg.run.model_copy(update={"months": 5})})
    assert copied.run.months == 5 and cfg.run.months == 180 and copied.trust is cfg.trust
    for clone in (pickle.loads(pickle.dumps(cfg)), copy.deepcopy(cfg), copy.copy(cfg)):
        assert clone == cfg and clone is not cfg and clone.model_dump() == cfg.model_dump()
    assert RunConfig(months=3) == RunConfig(months=3) != RunConfig(months=4)
    assert hash(RunConfig(months=3)) == hash(RunConfig(months=3))
    assert repr(RunConfig()) == "RunConfig(months=180, seed=42)"
    with pytest.raises(SectionError) as exc:
        RunConfig(months=0, seed=1.5)
    assert [e["type"] for e in exc.value.errors()] == ["greater_than_equal", "int_type"]
    assert "2 validation errors for RunConfig" in str(exc.value)


def _declare(annotation: Any, field: Any) -> type:
    return type("Bad", (Section,), {"__annotations__": {"key": annotation}, "key": field})


def test_section_declarations_are_checked() -> None:
    assert _declare(int | None, Field(None, "fine")).model_fields["key"].annotation == int | None
    with pytest.raises(TypeError, match="unsupported annotation"):
        _declare(bytes, Field(b"", "no bytes"))
    with pytest.raises(TypeError, match="only `X \\| None` unions"):
        _declare(int | str, Field(1, "no unions"))
    with pytest.raises(TypeError, match="annotation is a string"):
        _declare("int", Field(1, "this module has `from __future__ import annotations`"))
    with pytest.raises(TypeError, match="exactly one of a default"):
        Field()
    shared = Field(1, "one Field object, two classes")
    whole, real = _declare(int, shared), _declare(float, shared)
    assert whole.model_validate({"key": 2}).key == 2 and real.model_validate({"key": 2}).key == 2.0
    with pytest.raises(SectionError):
        whole.model_validate({"key": 1.5})


def test_run_does_not_import_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom simulation.cli import main\n"
        f"code = main(['run', 'municipality_building_housing', '--citizens', '200', '--steps', '1', "
        f"'--out', {str(tmp_path / 'o')!r}])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "0 []"
