"""Why it happened: the event log (events.csv) and the run's narrative."""

from __future__ import annotations

import pandas as pd
from conftest import cli
from test_credibility import hostile, scenario

from simulation.outputs.narrative import EVENT_COLUMNS
from simulation.runs.runner import run


def test_the_event_log_agrees_with_the_kpis() -> None:
    for seed in range(4):
        res = run(hostile(citizens=200), seed=30 + seed)
        ev, k = res.events, res.kpis
        assert list(ev.columns) == list(EVENT_COLUMNS)
        assert (ev["month"].diff().fillna(0) >= 0).all()  # in time order
        count = ev["event"].value_counts()
        assert count.get("refused", 0) == k["refusals"]
        assert count.get("withdrew", 0) == k["withdrawals"]
        assert count.get("failure", 0) == k["failures"]
        assert count.get("collapsed", 0) == int(k["collapsed"])
        first = ev.loc[ev["event"] == "first service", "month"]
        assert (first.iloc[0] if len(first) else None) == k["months_to_first_service"]
        assert ev["cause"].str.len().min() > 5  # every event says why


def test_refusals_and_withdrawals_name_their_reasons() -> None:
    rows = pd.concat([run(hostile(citizens=200), seed=s).events for s in range(16)])
    refused = rows[rows["event"] == "refused"]
    withdrew = rows[rows["event"] == "withdrew"]
    assert len(refused) and len(withdrew)
    assert refused["cause"].str.contains("weighed most against").all()
    own = withdrew["cause"].str.contains("resistance came mostly from")
    assert own.any() and (own | (withdrew["cause"] == "the programme collapsed")).all()


def test_the_narrative_tells_the_turning_points() -> None:
    res = run(hostile(citizens=200), seed=31)
    text = " ".join(res.narrative)
    assert "First agreement" in text or "No party agreed" in text
    if res.kpis["refusals"]:
        assert "Refused for good" in text
    if res.kpis["collapsed"]:
        assert "collapsed" in text
    quiet = run(scenario(citizens=200, run__months=3), seed=1)
    assert any("No service reached the public" in s for s in quiet.narrative)


def test_run_writes_events_csv_and_prints_the_narrative(tmp_path) -> None:
    res = cli(
        "run",
        "municipality_building_housing",
        "--set",
        "citizens.count=300",
        "--steps",
        "60",
        "--out",
        tmp_path / "o",
    )
    assert res.returncode == 0, res.stderr
    assert "What happened" in res.stdout and "First agreement" in res.stdout
    ev = pd.read_csv(tmp_path / "o" / "events.csv")
    assert list(ev.columns) == list(EVENT_COLUMNS) and (ev["event"] == "opened").any()
