"""The app's decision-map data (no browser): loading a map folder, the compare a cell
opens, and the quick map computed in a background thread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.experiments import decision_map as dm
from simulation.io.scenario_io import ScenarioError
from simulation.webapp.decision_map import MapData, QuickMap, compare_settings
from simulation.webapp.session import RESISTANCE_KEY

MUNI = "municipality_building_housing"
TINY = ["--levels", "2", "--draws", "1", "--replications", "2", "--citizens", "100", "--steps", "36"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("map") / "m"
    assert main(["map", MUNI, *TINY, "--workers", "1", "--out", str(out)]) == 0
    return out


def test_map_folder_loads_with_its_grid(folder: Path) -> None:
    data = MapData.from_folder(folder)
    raw = json.loads((folder / "map.json").read_text(encoding="utf-8"))
    assert data.scenario == MUNI and data.x_name == "trust.initial"
    assert len(data.x_values) == len(data.y_values) == 2
    assert data.winner == raw["winner"] and set(data.winner) == {"combined", *dm.OBJECTIVES}
    assert data.agreement is not None and data.statements


def test_a_cell_opens_the_two_leading_designs_at_its_context(folder: Path) -> None:
    data = MapData.from_folder(folder)
    for objective in data.winner:
        i, j = 1, 0
        a, b, note = compare_settings(data, objective, i, j)
        p = data.p_win[objective][i][j]
        first, second = sorted(range(len(p)), key=lambda k: (-p[k], k))[:2]
        assert p[first] >= p[second]
        assert f"{a['service.model']}, {a['rollout.strategy'].replace('_', ' ')}" == data.designs[first]
        assert f"{b['service.model']}, {b['rollout.strategy'].replace('_', ' ')}" == data.designs[second]
        assert a["trust.initial"] == pytest.approx(data.x_values[i])
        assert b[RESISTANCE_KEY] == pytest.approx(data.y_values[j])
        assert "Decision map cell" in note


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d.pop("winner"), "missing or malformed key 'winner'"),
        (lambda d: d["winner"].update(combined=[[0]]), "winner.combined is not a 2 x 2 grid"),
        (lambda d: d["winner"].update(combined=[[0, 99], [0, 0]]), "outside 0..8"),
    ],
)
def test_a_bad_map_json_is_a_clear_error(folder: Path, tmp_path: Path, edit, needle: str) -> None:
    raw = json.loads((folder / "map.json").read_text(encoding="utf-8"))
    edit(raw)
    (tmp_path / "map.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ScenarioError, match="map.json") as err:
        MapData.from_folder(tmp_path)
    assert needle in str(err.value)
    with pytest.raises(ScenarioError, match="egov-sim map"):
        MapData.from_folder(tmp_path / "nothing")


def test_quick_map_in_the_background_equals_the_command(folder: Path) -> None:
    q = QuickMap(
        MUNI,
        seed=json.loads((folder / "map.json").read_text())["seeds"][0],
        levels=2,
        draws=1,
        replications=2,
        citizens=100,
        months=36,
    )
    q.start()
    q.join(300)
    assert q.error is None and q.done
    assert q.progress[0] == q.progress[1] == 2 * 2 * 9 * 2
    assert q.result.winner == MapData.from_folder(folder).winner
