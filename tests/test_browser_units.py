"""The browser app's Python side without a browser: settings, lockstep, figures, results.

(Named test_browser_* because it belongs to the app; it needs no chromium and is not
marked ``browser``.)
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simulation import EGovModel, load_scenario
from simulation.io.scenario_io import ScenarioError
from simulation.webapp import cli as webcli
from simulation.webapp.charts import drawn_links
from simulation.webapp.results import find_reports, other_figures, split_report
from simulation.webapp.session import (
    GROUPS,
    LEVERS,
    RESISTANCE_KEY,
    Lockstep,
    Settings,
    build_config,
    scale_resistance,
    tooltip,
)

SMALL = {"citizens.count": 500}


def small(**changes) -> Settings:
    keys = {"service_model": "service.model", "resistance": RESISTANCE_KEY, "trust": "trust.initial"}
    return Settings.from_scenario("municipality_building_housing").update(
        {**SMALL, **{keys.get(k, k): v for k, v in changes.items()}}
    )


def test_settings_mirror_the_scenario_and_build_the_same_config():
    for name in ("vehicle_registration", "province_spatial_planning"):
        s = Settings.from_scenario(name)
        cfg = load_scenario(name)
        assert (s["service.model"], s["rollout.strategy"], s["citizens.count"]) == (
            cfg.service.model,
            cfg.rollout.strategy,
            cfg.citizens.count,
        )
        built = build_config(s, cfg.run.seed)
        assert built.model_dump() == cfg.model_dump()


def test_every_lever_reaches_the_config_and_has_a_tooltip():
    base = load_scenario("municipality_building_housing")
    changed = {}
    for lever in LEVERS:
        assert lever.help and lever.schema_range, lever.key
        assert lever.key in tooltip(lever) and lever.help in tooltip(lever)
        if lever.key == RESISTANCE_KEY:
            continue
        old = getattr(getattr(base, lever.section), lever.name)
        if lever.kind == "choice":
            new = next(c for c in lever.choices if c != old)
        elif lever.kind == "bool":
            new = not old
        elif lever.kind == "int":
            new = int(old) + 1
        else:
            new = round(min(lever.hi, old + 0.1) if old + 0.1 <= lever.hi else old - 0.1, 6)
        changed[lever.key] = new
    cfg = build_config(Settings.from_scenario("municipality_building_housing").update(changed), 7)
    assert cfg.run.seed == 7
    for key, value in changed.items():
        section, name = key.split(".", 1)
        assert getattr(getattr(cfg, section), name) == value, key
    # The change-strategy levers of `egov-sim advise` are all in the app.
    from simulation.experiments.advise import LEVERS as ADVISE_LEVERS

    assert set(ADVISE_LEVERS) <= {lever.key for lever in LEVERS}
    assert len(GROUPS) >= 4 and all(any(lv.group == g for lv in LEVERS) for g in GROUPS)


def test_resistance_scale_multiplies_every_group_and_clips():
    cfg = load_scenario("municipality_building_housing")
    doubled = scale_resistance(cfg, 2.0)
    for before, after in zip(
        cfg.departments.groups + cfg.partners.groups,
        doubled.departments.groups + doubled.partners.groups,
        strict=True,
    ):
        assert after.resistance == pytest.approx(min(1.0, 2 * before.resistance))
    assert scale_resistance(cfg, 2.5).departments.groups[0].resistance <= 1.0
    with pytest.raises(ScenarioError, match="Resistance"):
        scale_resistance(cfg, 3.0)
    # More resistance means a different (higher-resistance) model at month 0.
    low = EGovModel(build_config(small(resistance=0.5), 1), rng=1)
    high = EGovModel(build_config(small(resistance=2.0), 1), rng=1)
    assert high.mean_resistance > low.mean_resistance + 0.1


def test_bad_input_names_its_real_source():
    with pytest.raises(ScenarioError, match=r"^app controls: \[citizens\] count"):
        build_config(small(**{"citizens.count": 3}), 1)
    with pytest.raises(ScenarioError, match="x.toml: scenario file not found"):
        build_config(small().update(scenario="/nonexistent/x.toml"), 1)
    with pytest.raises(ScenarioError, match="^Scenario"):
        build_config(small().update(scenario="  "), 1)
    # A bad seed is the Seed control's fault, not the scenario file's.
    for bad in (-1, 2**63, "7", None):
        with pytest.raises(ScenarioError, match=r"^Seed \(app control\)"):
            build_config(small(), bad)
    with pytest.raises(KeyError, match="not a lever"):
        small().update({"negotiation.bogus": 1})


def test_lockstep_uses_common_seed_and_matches_a_plain_run():
    a = build_config(small(), 11)
    b = build_config(small(service_model="fragmentation"), 11)
    pair = Lockstep([a, b], ["A", "B"], seed=11)
    assert pair.step(12) == 12 and pair.month == 12
    solo = EGovModel(a, rng=11)
    for _ in range(12):
        solo.step()
    got = pair.models[0].datacollector.get_model_vars_dataframe()
    want = solo.datacollector.get_model_vars_dataframe()
    assert got.equals(want)  # lockstep changes nothing about a run
    # Same seed, same starting parties (common random numbers): identical month-0 state.
    assert [p.baseline_resistance for p in pair.models[0].parties] == [
        p.baseline_resistance for p in pair.models[1].parties
    ]


def test_lockstep_stops_at_the_horizon():
    cfg = build_config(small(), 1).model_copy(
        update={"run": build_config(small(), 1).run.model_copy(update={"months": 5})}
    )
    ls = Lockstep([cfg], ["A"], 1)
    assert ls.step(100) == 5 and ls.done and ls.step(1) == 0


def test_sim_views_follow_the_models_and_are_json():
    import json

    from simulation.webapp.app import Sim

    sim = Sim.build(small(), None, 3)
    assert sim.views["month"] == 0 and len(sim.views["curves"]) == 6
    assert sim.advance(12) == 12 and sim.views["month"] == 12
    json.dumps(sim.views, allow_nan=False)  # what the browser is sent
    first = sim.views["curves"][0]["series"][0]["data"]
    assert len(first) >= 13 and first[12] is not None
    assert sim.views["events"][0] and sim.views["narratives"][0]
    assert "| run |" in sim.views["readout"]


def test_replication_bands_reach_the_curves_and_match_compare():
    from simulation.runs.compare import compare
    from simulation.webapp.app import Sim
    from simulation.webapp.replicate import Replications

    a, b = small(), small(service_model="fragmentation")
    sim = Sim.build(a, b, 5)
    short = [c.model_copy() for c in sim.lockstep.configs]
    rep = Replications(short, sim.labels, 5, 3)
    rep.start()
    assert rep.join(120) and rep.error is None
    sim.summary = rep.summary()
    sim.redraw()
    ids = [s.get("id", "") for s in sim.views["curves"][0]["series"]]
    assert any(i.startswith("band ") for i in ids), ids
    assert sim.views["bands"] == 3
    # The app's KPI table is `egov-sim compare`'s for the same seed and n.
    ref = compare(short[0], short[1], replications=3, master_seed=5, labels=tuple(sim.labels))
    got = {r["kpi"]: r["difference"] for r in sim.summary["kpis"]}
    for _, row in ref.table.iterrows():
        assert got[row["kpi"]] == pytest.approx(row["difference"], nan_ok=True)


def test_downloads_are_the_files_of_egov_sim_run(tmp_path):
    import io
    import json
    import zipfile

    from simulation.runs.runner import OUTPUT_FILES
    from simulation.webapp.export import run_files, zip_files

    cfg = build_config(small(), 9)
    m = EGovModel(cfg, rng=9)
    for _ in range(24):
        m.step()
    files = run_files(m, cfg, "test")
    assert set(files) == set(OUTPUT_FILES)
    assert files["timeseries.csv"].decode().count("\n") == 24 + 2  # header + months 0..24
    assert json.loads(files["kpis.json"])["final_adoption"] == pytest.approx(
        m.datacollector.model_vars["adoption"][-1]
    )
    assert files["adoption.png"][:8] == b"\x89PNG\r\n\x1a\n"
    with zipfile.ZipFile(io.BytesIO(zip_files(files))) as zf:
        assert sorted(zf.namelist()) == sorted(OUTPUT_FILES)


def test_live_check_names_the_source_and_pending_changes():
    from simulation.webapp.app import Sim, check, pending_changes

    good = small()
    assert check((good,), 1) is None
    assert check((good.update({"citizens.count": 3}),), 1).startswith("app controls:")
    assert check((good,), -5).startswith("Seed (app control)")
    assert "nope.toml" in check((good.update(scenario="/tmp/nope.toml"),), 1)
    sim = Sim.build(good, None, 1)
    assert pending_changes(sim, (good,), 1) == []
    assert pending_changes(sim, (good.update({"rollout.wave_size": 5}),), 2) == ["rollout.wave_size", "seed"]


def test_links_drawn_follow_the_service_model():
    for model_name in ("integration", "fragmentation", "hybrid"):
        m = EGovModel(build_config(small(service_model=model_name, trust=0.9, resistance=0.0), 2), rng=2)
        for _ in range(120):
            m.step()
        links = drawn_links(m)
        if model_name == "fragmentation":
            assert not links.any()
        if model_name == "hybrid":
            partner = ~m.department_mask
            assert not links[partner, :].any() and not links[:, partner].any()
        if model_name == "integration":
            # Every drawn link joins two integrated parties.
            i, j = np.nonzero(links)
            integrated = m.integrated_mask()
            assert integrated[i].all() and integrated[j].all()


def test_results_reports_and_figures(tmp_path):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "noreport").mkdir()
    Image.new("RGB", (10, 10)).save(tmp_path / "a" / "fig.png")
    Image.new("RGB", (10, 10)).save(tmp_path / "a" / "deep" / "extra.png")
    Image.new("RGB", (10, 10)).save(tmp_path / "outside.png")
    (tmp_path / "a" / "report.md").write_text(
        "# A\n![one](fig.png)\ntext\n![escape](../outside.png)\n![web](https://example.org/x.png)\n",
        encoding="utf-8",
    )
    (tmp_path / "b" / "report.md").write_text("# B\n", encoding="utf-8")
    found = find_reports(tmp_path)
    assert {p.name for p in found} == {"a", "b"}
    parts = split_report(tmp_path / "a")
    figs = [p for p in parts if not isinstance(p, str)]
    assert [f.path.name for f in figs] == ["fig.png"]  # links leaving the folder are not read
    assert any("../outside.png" in p for p in parts if isinstance(p, str))
    extra = other_figures(tmp_path / "a", {f.path.resolve() for f in figs})
    assert [f.caption for f in extra] == ["deep/extra.png"]
    assert find_reports(tmp_path / "missing") == []


def test_serve_environment_is_offline(monkeypatch):
    monkeypatch.delenv("SOLARA_ASSETS_CDN", raising=False)
    env = webcli.server_environment({})
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert (webcli.ASSETS_DIR / "requirejs@2.3.6").exists(), "solara-assets is not installed in this venv"
    cmd = webcli.server_command("127.0.0.1", 8765)
    assert "--no-check-version" in cmd and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert webcli.url("::1", 80) == "http://[::1]:80/"


def test_app_module_creates_no_model_at_import():
    import simulation.webapp.app as app

    assert not [name for name, v in vars(app).items() if isinstance(v, EGovModel | Lockstep)]


def test_serve_refuses_a_busy_port_with_a_clear_message(capsys):
    import socket

    from simulation.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
    assert main(["serve", "--port", "70000"]) == 2
    assert "between 1 and 65535" in capsys.readouterr().err
