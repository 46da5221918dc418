"""Writing a scenario without guessing (issue 10 item 4): init templates, params filter,
JSON Schema, strict types, errors that name their real source."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, SHIPPED, cli

from simulation import load_scenario
from simulation.io.scenario_io import ScenarioError
from simulation.outputs.docs import json_schema, matching_rows, scenario_template


@pytest.mark.parametrize("name", [None, *SHIPPED])
def test_a_template_validates_back_to_its_source(name: str | None) -> None:
    cfg = load_scenario(name)
    text = scenario_template(cfg, "test")
    data = tomllib.loads(text)
    assert set(data) >= {"run", "negotiation", "politics", "departments", "partners"}
    from simulation.io.scenario_io import validate

    assert validate(data, "template") == cfg
    assert text.count("\n[[departments.groups]]") == len(cfg.departments.groups)
    assert "Required links" in text and "# population = <number>" in text


def test_init_writes_a_template_and_refuses_to_overwrite(tmp_path: Path) -> None:
    res = cli("init", "mine", "--from", "province_spatial_planning", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert load_scenario(tmp_path / "mine.toml") == load_scenario("province_spatial_planning")
    again = cli("init", "mine", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("init", "mine", "--force", cwd=tmp_path).returncode == 0
    assert load_scenario(tmp_path / "mine.toml") == load_scenario(None)


def test_params_filters_by_section_key_or_word() -> None:
    keys = [r[0] for r in matching_rows("negotiation")]
    assert keys and all(k.startswith("negotiation.") for k in keys)
    assert [r[0] for r in matching_rows("trust.initial")] == ["trust.initial"]
    assert any(r[0] == "citizens.p" for r in matching_rows("bass"))
    assert matching_rows("no-such-thing") == []
    res = cli("params", "politics")
    assert res.returncode == 0 and "politics.cancel_below" in res.stdout and "negotiation." not in res.stdout
    assert cli("params", "xyzzy").returncode == 2


def test_the_shipped_json_schema_is_current() -> None:
    shipped = json.loads((REPO / "docs" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert shipped == json_schema(), "regenerate: egov-sim schema --out docs/scenario.schema.json"
    assert "rollout" in shipped["properties"]


def test_types_are_strict(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[rollout]\nwave_size = "3"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"wave_size: expected a whole number, got '3'"):
        load_scenario(bad)
    bad.write_text("[citizens]\ncount = 500.0\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="count: expected a whole number"):
        load_scenario(bad)
    ok = tmp_path / "ok.toml"
    ok.write_text('[rollout]\nstrategy = "big-bang"\n[trust]\ninitial = 1\n', encoding="utf-8")
    cfg = load_scenario(ok)  # a whole number is a number; big-bang as the README spells it
    assert cfg.rollout.strategy == "big_bang" and cfg.trust.initial == 1.0


def test_errors_name_their_real_source(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario("municipality_building_housing", sets=["trust.initial=1.5"])
    assert str(exc.value).startswith("--set trust.initial=1.5: [trust] initial")
    bad = tmp_path / "bad.toml"
    bad.write_text("[trust]\ninitial = 2.0\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad, sets=["citizens.count=500"])
    assert str(exc.value).startswith(str(bad))


def test_compare_and_run_take_steps_and_citizens(tmp_path: Path) -> None:
    res = cli("compare", "--replications", "2", "--steps", "12", "--citizens", "200", "--out", tmp_path / "c")
    assert res.returncode == 0, res.stderr
    res = cli("run", "--steps", "6", "--citizens", "150", "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["parameters"]["citizens"]["count"] == 150 and manifest["months"] == 6
