"""The app's ECharts options and HTML views (simulation/webapp/charts.py), without a browser."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from simulation import EGovModel
from simulation.agents import STATES
from simulation.config import RELATIONS
from simulation.outputs.scorecard import CELLS, PERSPECTIVES, compute
from simulation.webapp import charts

MONTHS_RUN = 24


def stepped(months: int = MONTHS_RUN, **params) -> EGovModel:
    m = EGovModel("municipality_building_housing", citizens_count=500, **params)
    for _ in range(months):
        m.step()
    return m


@pytest.fixture(scope="module")
def pair() -> tuple[EGovModel, EGovModel]:
    return stepped(), stepped(service_model="fragmentation")


def dumps(option) -> str:
    return json.dumps(option, allow_nan=False)


def dash_word(style) -> str:
    return {repr(v[0]): v[1] for v in charts.DASHES.values()}[repr(style)]


def test_charts_does_not_import_matplotlib():
    code = "import sys, simulation.webapp.charts; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_single_run_curves(pair):
    model = pair[0]
    opts = charts.curves_options([model], ["run"], model.months)
    assert len(opts) == len(charts.PANELS) == 6
    for opt, (title, series, _, fixed) in zip(opts, charts.PANELS, strict=True):
        dumps(opt)
        assert opt["animation"] is False and opt["title"]["text"] == title
        assert opt["xAxis"]["data"] == list(range(model.months + 1))
        assert opt["yAxis"]["min"] == 0 and (opt["yAxis"].get("max") == 1) == fixed
        names = [s["name"] for s in opt["series"]]
        assert opt["legend"]["data"] == names  # the legend lists exactly what is drawn
        assert len(names) == len(series)
        for j, s in enumerate(opt["series"]):
            assert len(s["data"]) == MONTHS_RUN + 1
            assert s["lineStyle"]["color"] == charts.SERIES_COLOURS[j]
            word = dash_word(s["lineStyle"]["type"])
            assert word == ("" if j == 0 else "dotted")
            assert s["name"] == series[j][1] + (f" ({word})" if word else "")
        # the axis tooltip names every drawn series, with the panel's unit
        tip = opt["tooltip"]["formatter"]
        assert all(f"<br/>{name}: <b>{{c{i}}}</b>" in tip for i, name in enumerate(names))
    assert opts[3]["legend"]["data"] == ["trust", "resistance (dotted)"]
    trust = opts[3]["series"][0]["data"]
    assert trust == pytest.approx(model.datacollector.model_vars["mean_trust"], abs=1e-3)


def test_compare_curves_say_what_they_draw(pair):
    opts = charts.curves_options(list(pair), ["A", "B"], pair[0].months)
    for opt in opts:
        dumps(opt)
        for s in opt["series"]:
            label = s["name"].split(":")[0]
            assert s["lineStyle"]["color"] == charts.RUN_COLOURS["AB".index(label)]
            word = dash_word(s["lineStyle"]["type"])
            assert (f"({word})" in s["name"]) == bool(word)
    assert opts[3]["legend"]["data"] == [
        "A: trust",
        "A: resistance (dotted)",
        "B: trust (dashed)",
        "B: resistance (dash-dot)",
    ]
    types = [s["lineStyle"]["type"] for s in opts[3]["series"]]
    assert types[0] == "solid" and types[2] == charts.DASHES[(1, 0)][0] != "solid"
    assert opts[0]["legend"]["data"] == ["A: adoption", "B: adoption (dashed)"]


def test_bands_drawn_as_mean_and_shaded_interval(pair):
    model = pair[0]
    n = model.months + 1
    mean = np.linspace(0.2, 0.6, n)
    mean[-1] = np.nan  # a month without replications
    bands = {"A": {"mean_trust": {"mean": mean, "low": mean - 0.05, "high": mean + 0.05}}}
    opts = charts.curves_options(list(pair), ["A", "B"], model.months, bands=bands, n_bands=7)
    text = dumps(opts[3])
    assert "NaN" not in text
    series = opts[3]["series"]
    # The band shares the played line's legend entry: the legend does not grow.
    plain = charts.curves_options(list(pair), ["A", "B"], model.months)
    assert opts[3]["legend"]["data"] == plain[3]["legend"]["data"]
    name = "A: trust"
    band = [s for s in series if s.get("id", "").startswith("band ")]
    assert len(band) == 4  # mean line + stacked low + unstacked high + stacked (high - low)
    assert {s["name"] for s in band} == {name}
    played = [s for s in series if s["name"] == name and "id" not in s]
    assert len(played) == 1 and played[0]["lineStyle"]["width"] > band[0]["lineStyle"]["width"]
    assert played[0]["lineStyle"]["type"] == band[0]["lineStyle"]["type"]
    # Past the played month the line has ECharts' missing value (a "-" in the hover).
    assert played[0]["data"][-1] == charts.MISSING and None not in played[0]["data"]
    # The hover tells the played seed from the mean of n.
    tip = opts[3]["tooltip"]["formatter"]
    assert "A: trust, this seed:" in tip and "A: trust, mean of 7:" in tip
    line, low, high, width = band
    # ... and gives the band's bounds after the mean: the series right after it are low, high.
    at = series.index(line)
    assert series[at + 1] is low and series[at + 2] is high
    assert f"A: trust, mean of 7: <b>{{c{at}}}</b> (0–1), 95 %: {{c{at + 1}}}–{{c{at + 2}}}" in tip
    assert "stack" not in high and "areaStyle" not in high
    assert high["data"][5] == pytest.approx(mean[5] + 0.05, abs=1e-3)
    assert (
        "stack" not in line and line["data"][0] == pytest.approx(0.2) and line["data"][-1] == charts.MISSING
    )
    assert low["stack"] == width["stack"] and "areaStyle" in width and "areaStyle" not in low
    assert 0 < width["areaStyle"]["opacity"] < 0.5
    assert "tooltip" not in low and "tooltip" not in high and width["tooltip"]["show"] is False
    assert width["data"][5] == pytest.approx(0.1) and low["data"][5] == pytest.approx(
        mean[5] - 0.05, abs=1e-3
    )
    assert {
        s["lineStyle"]["color"] if "color" in s["lineStyle"] else s["itemStyle"]["color"] for s in band
    } == {charts.RUN_COLOURS[0]}
    # every series padded to the band's length, so the tooltip template stays aligned
    assert {len(s["data"]) for s in series} == {n}
    # tooltip lists the lines and the band's bounds (not the filled width), first in the list
    shown = [s for s in series if s.get("tooltip", {}).get("show", True)]
    assert series[: len(shown)] == shown
    assert re.findall(r"\{c(\d+)\}", tip) == [str(i) for i in range(len(shown))]
    # panels without that column get no band
    assert all("stack" not in s for s in opts[0]["series"])


def test_network_nodes_are_the_parties(pair):
    model = pair[0]
    opt = charts.network_option(model, title="A")
    dumps(opt)
    graph = opt["series"][0]
    assert graph["type"] == "graph" and graph["layout"] == "none"
    assert graph["labelLayout"] == {"hideOverlap": True}
    nodes = graph["data"]
    assert [n["name"] for n in nodes] == [p.name for p in model.parties]
    assert [n["party"] for n in nodes] == list(range(len(model.parties)))
    pos = charts.positions(model)
    for node, (x, y) in zip(nodes, pos, strict=True):  # polar (radius, degrees) of the circle layout
        r, deg = node["value"]
        assert (r * math.cos(math.radians(deg)), r * math.sin(math.radians(deg))) == pytest.approx(
            (x, y), abs=1e-3
        )
    for node, party in zip(nodes, model.parties, strict=True):
        assert node["symbol"] == ("rect" if party.kind == "department" else "circle")
        assert node["itemStyle"]["color"] == charts.STATE_COLOURS[party.state]
        assert STATES[node["category"]] == party.state
        assert node["itemStyle"]["borderWidth"] == pytest.approx(0.5 + 3.5 * party.resistance, abs=0.01)
        assert party.state in node["tooltip"]["formatter"]
    assert [c["name"] for c in graph["categories"]] == list(STATES)
    assert opt["legend"][0]["data"] == list(STATES)
    assert len(graph["links"]) == int(charts.drawn_links(model).sum())
    assert len(charts.network_option(pair[1])["series"][0]["links"]) == 0  # fragmentation links no files
    # the click payload leads back to the party
    click = {"dataType": "node", "data": nodes[3], "name": nodes[3]["name"]}
    assert charts.clicked_party(click) == 3
    assert charts.clicked_party({"dataType": "edge", "data": {}}) is None


def test_network_labels_sit_outside_on_the_biggest_scenario():
    model = EGovModel("vehicle_registration", citizens_count=200)
    nodes = charts.network_option(model)["series"][0]["data"]
    assert len(nodes) >= 12
    for node, party, (x, _) in zip(nodes, model.parties, charts.positions(model), strict=True):
        pos = node["label"]["position"]
        if party.kind == "partner":
            assert pos == ("left" if x < 0 else "right")
        else:
            assert pos in ("top", "bottom")


def test_duplicate_party_names_become_unique(pair):
    model = pair[0]
    saved = model.parties[1].name
    model.parties[1].name = model.parties[0].name
    try:
        names = charts.node_names(model)
        assert len(set(names)) == len(names)
    finally:
        model.parties[1].name = saved


def _matrix(**cells: float) -> dict:
    mat = {p: {r: math.nan for r in RELATIONS} for p in PERSPECTIVES}
    for key, value in cells.items():
        p, r = key.split("__")
        mat[p][r] = value
    return mat


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_scorecard_colours_follow_each_cells_direction():
    assert CELLS["legal"]["citizens"].direction == "lower"
    assert CELLS["organisational"]["citizens"].direction == "higher"
    mat = _matrix(legal__citizens=0.95, organisational__citizens=0.95)
    cells = charts.scorecard_cells(mat)
    bad = cells[PERSPECTIVES.index("legal")][RELATIONS.index("citizens")]
    good = cells[PERSPECTIVES.index("organisational")][RELATIONS.index("citizens")]
    r, g, _ = _rgb(bad["colour"])
    assert r > g + 80  # high privacy exposure (lower is better): red
    r, g, _ = _rgb(good["colour"])
    assert g > r + 80  # high service quality (higher is better): green
    na = cells[0][1]
    assert na["value"] is None and na["text"] == "n/a" and na["colour"] == charts.NA_COLOUR
    page = charts.scorecard_html(mat, ["<b>A & B</b>"])
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in page and "<b>A" not in page
    assert page.count("<td") == len(PERSPECTIVES) * len(RELATIONS)
    assert "0.95 0..1 ↓" in page and "0.95 0..1 ↑" in page and "n/a" in page
    assert "worse" in page and "better" in page and "not applicable" in page  # the legend
    assert bad["colour"] in page and charts.NA_COLOUR in page


def test_scorecard_colours_match_the_cli_colormap():
    matplotlib = pytest.importorskip("matplotlib")
    cmap = matplotlib.colormaps["RdYlGn"]
    for score in (-1.0, -0.6, -0.1, 0.0, 0.33, 0.8, 1.0):
        want = np.array(cmap((score + 1) / 2)[:3]) * 255
        assert np.abs(np.array(_rgb(charts.score_colour(score))) - want).max() <= 2.5


def test_scorecard_of_models_side_by_side(pair):
    page = charts.scorecard_html(list(pair), ["A", "B"])
    assert page.count("<table") == 2 and page.count("<td") == 2 * len(PERSPECTIVES) * len(RELATIONS)
    mat = compute(pair[0])
    v = mat["organisational"]["citizens"]
    assert f"{v:.2f} 0..1 ↑" in page


def test_party_details_has_its_history(pair):
    model = pair[0]
    name = next(e["party"] for e in model.events if e["party"] != "programme")
    index = next(p.index for p in model.parties if p.name == name)
    details = charts.party_details(model, index)
    json.dumps(details, allow_nan=False)
    facts = dict(details["facts"])
    party = model.parties[index]
    assert facts["name"] == name and facts["kind"] == party.kind and facts["state"] == party.state
    assert facts["resistance"].startswith(f"{party.resistance:.2f} (baseline")
    assert facts["compensation promised"].endswith("M€")
    for key in (
        "group",
        "public",
        "trust",
        "readiness",
        "power",
        "belief",
        "uncertainty",
        "failures",
        "opened",
    ):
        assert key in facts
    own = [e for e in model.events if e["party"] == name]
    assert details["events"] == own and own
    page = charts.party_html(details)
    assert own[0]["event"] in page and "history" in page
