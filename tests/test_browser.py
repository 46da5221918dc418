"""The browser app, driven through Debian's chromium with Playwright (headless).

One server (``egov-sim serve --port <free port>``) and one browser for the module. If
chromium is missing the tests fail and say how to install it (scripts/browser-deps.sh);
they never skip. Timing is not asserted here (benchmarks/bench_webapp.py measures it).

The views are Apache ECharts canvases (``solara.FigureEcharts``): a chart's element
``.solara-echarts`` carries its Vue component as ``el.__vue__``, whose ``option`` is the
option the server sent and ``chart`` the echarts instance (created once the locally served
echarts bundle has loaded). The tests read both, and screenshot the canvases for colours.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from conftest import REPO, egov_sim
from PIL import Image

from simulation.webapp.browser import CHROMIUM_ARGS
from simulation.webapp.charts import RUN_COLOURS, STATES
from simulation.webapp.session import LEVER_BY_KEY, tooltip

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
WAIT = 60_000  # ms; generous, the CI machine may be busy
RED = (214, 39, 40)  # configuration B in compare mode (charts.RUN_COLOURS[1])
BLUE = (31, 119, 180)  # configuration A / first series (charts.RUN_COLOURS[0])
PANELS = 6  # curve panels, .egov-panel-0 .. .egov-panel-5
CHART = ".solara-echarts"
NETWORK = f".egov-network {CHART}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp_path_factory, env: dict[str, str] | None = None):
    """``egov-sim serve`` on a free port with a fresh results root; yields its details."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    results = tmp_path_factory.mktemp("results")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*egov_sim(), "serve", "--port", str(port), "--results-root", str(results)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONWARNINGS="ignore", **(env or {})),
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"egov-sim serve exited with {proc.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"egov-sim serve did not answer on {url} within 120 s")
        time.sleep(0.5)
    yield {"url": url, "log": log, "results": results, "proc": proc}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from start_server(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "chromium is not installed: run `bash scripts/browser-deps.sh` (installs Debian's chromium "
            "with apt-get); the browser tests drive it through Playwright and never download a browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Session:
    """One browser context (= one app session) with every request it made."""

    def __init__(self, browser, url: str, viewport: tuple[int, int] = (1400, 1300)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        self.wait_month(0)

    def status(self) -> str:
        return self.page.locator(".egov-status").inner_text()

    def month(self) -> int:
        return int(re.search(r"Month (\d+)", self.status()).group(1))

    def wait_month(self, month: int) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".egov-status")).to_contain_text(f"Month {month} /", timeout=WAIT)

    def step(self, times: int = 1) -> None:
        start = self.month()
        for i in range(times):
            self.page.get_by_role("button", name="Step", exact=True).click()
            self.wait_month(start + i + 1)

    def play_until(self, month: int) -> None:
        """Play until the status shows at least ``month``, then pause (and wait for it)."""
        self.page.get_by_role("button", name="Play", exact=True).click()
        self.page.wait_for_function(
            "m => +(document.querySelector('.egov-status').innerText.match(/Month (\\d+)/) || [0, 0])[1] >= m",
            arg=month,
            timeout=WAIT * 2,
        )
        self.page.get_by_role("button", name="Pause", exact=True).click()
        self.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=WAIT)
        self.settle()

    def settle(self, quiet_s: float = 1.0) -> int:
        """Wait until the status month stays the same for ``quiet_s`` seconds and return it:
        under load, a step already under way when Pause was pressed lands after it."""
        last, since = self.month(), time.monotonic()
        while time.monotonic() - since < quiet_s:
            time.sleep(0.1)
            month = self.month()
            if month != last:
                last, since = month, time.monotonic()
        return last

    def wait_charts(self, count: int = PANELS + 1) -> None:
        """Wait until ``count`` charts exist and each has its echarts instance."""
        self.page.wait_for_function(
            "n => { const e = [...document.querySelectorAll('.solara-echarts')];"
            " return e.length >= n && e.every(x => x.__vue__ && x.__vue__.chart); }",
            arg=count,
            timeout=WAIT,
        )

    def option(self, selector: str) -> dict:
        """The ECharts option the server sent to the chart ``selector``."""
        return self.page.locator(selector).evaluate("el => el.__vue__.option")

    def wait_drawn(self, selector: str, length: int) -> None:
        """Wait until the chart has drawn (set) a first series of at least ``length`` points."""
        self.page.locator(selector).evaluate(
            """(el, n) => new Promise((resolve, reject) => {
                const t0 = performance.now();
                const poll = () => {
                    const c = el.__vue__ && el.__vue__.chart;
                    const s = c && c.getOption().series;
                    if (s && s.length && s[0].data.length >= n) {
                        requestAnimationFrame(() => requestAnimationFrame(resolve));
                    } else if (performance.now() - t0 > 60000) {
                        reject(new Error('chart not drawn with ' + n + ' points'));
                    } else {
                        setTimeout(poll, 50);
                    }
                };
                poll();
            })""",
            length,
        )

    def canvas(self, selector: str) -> np.ndarray:
        """The chart as the browser shows it (an RGB array)."""
        loc = self.page.locator(selector)
        box = loc.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"{selector}: not laid out ({box})"
        png = loc.screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    def panels(self) -> list[np.ndarray]:
        return [self.canvas(f".egov-panel-{k} {CHART}") for k in range(PANELS)]

    def open_group(self, group: str) -> None:
        """Expand a collapsed group (solara.Details) of the configuration card."""
        header = self.page.locator(".egov-config .v-expansion-panel-header").filter(has_text=group).first
        if header.get_attribute("aria-expanded") != "true":
            header.click()
        self.page.wait_for_timeout(400)  # the panel's transition

    def close(self) -> None:
        self.context.close()


def near(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 40) -> int:
    """Pixels within ``tol`` of ``rgb`` in every channel."""
    return int((np.abs(img - np.array(rgb)) <= tol).all(axis=-1).sum())


def remote(requests: list[str]) -> list[str]:
    """Requests that would leave this machine (data: and blob: URLs stay in the page)."""
    out = []
    for u in requests:
        parsed = urlparse(u)
        if parsed.scheme in {"data", "blob"}:
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            out.append(u)
    return out


def squash(text: str) -> str:
    return " ".join(text.split())


def test_serve_prints_address(server):
    assert server["log"].read_text().splitlines()[0].startswith(f"egov-sim app: {server['url']}")


def test_plots_render_and_change_after_stepping(server, browser):
    s = Session(browser, server["url"])
    try:
        s.wait_charts()
        panel0 = f".egov-panel-0 {CHART}"
        assert len(s.option(panel0)["series"][0]["data"]) == 1  # month 0
        titles = [s.option(f".egov-panel-{k} {CHART}")["title"]["text"] for k in range(PANELS)]
        assert titles[0] == "Adoption" and titles[5] == "Legitimacy", titles
        s.wait_drawn(panel0, 1)
        before = [*s.panels(), s.canvas(NETWORK)]
        card = s.page.locator(".egov-scorecard").inner_text()
        s.step(3)
        s.wait_drawn(panel0, 4)
        assert all(len(x["data"]) == 4 for x in s.option(panel0)["series"])
        s.play_until(30)
        # A step in flight when Pause was clicked still lands (status and charts update a
        # moment apart on a busy machine): wait until the status names the month the
        # charts end at, then hold every panel to it.
        s.page.wait_for_function(
            "([sel, n]) => { const m = +(document.querySelector('.egov-status').innerText"
            ".match(/Month (\\d+)/) || [0, 0])[1]; return [...Array(n).keys()].every(k => {"
            " const el = document.querySelector(`.egov-panel-${k} ${sel}`);"
            " return el && el.__vue__.option.series.every(x => x.data.length === m + 1); }); }",
            arg=[CHART, PANELS],
            timeout=WAIT,
        )
        month = s.month()
        assert month >= 30
        for k in range(PANELS):
            s.wait_drawn(f".egov-panel-{k} {CHART}", month + 1)
            option = s.option(f".egov-panel-{k} {CHART}")
            assert {len(x["data"]) for x in option["series"]} == {month + 1}, (k, month)
        after = [*s.panels(), s.canvas(NETWORK)]
        names = [*titles, "network"]
        for name, one, two in zip(names, before, after, strict=True):
            assert one.shape == two.shape, name
            changed = np.abs(one - two).sum(axis=-1) > 30
            assert changed.sum() > 50, f"{name} did not change after stepping"
        # The curves grew: more ink than at month 0 (the line, not just a legend).
        ink = [int((v < 200).any(axis=-1).sum()) for v in before[:PANELS]]
        ink_after = [int((v < 200).any(axis=-1).sum()) for v in after[:PANELS]]
        assert sum(ink_after) > sum(ink) + 500, (ink, ink_after)
        assert s.page.locator(".egov-scorecard").inner_text() != card
        assert "n/a" in card  # not-applicable cells say so
    finally:
        s.close()


def test_changed_control_takes_effect_after_reset(server, browser):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        desc = page.locator(".egov-description")
        expect(desc).to_contain_text("integration, phased rollout, 10,000 citizens", timeout=WAIT)
        s.step(2)
        page.locator(".egov-lever-service-model .v-select__slot").click()
        page.get_by_role("option", name="fragmentation", exact=True).click()
        pending = page.locator(".egov-pending")
        expect(pending).to_contain_text("service.model", timeout=WAIT)
        s.open_group("Context (not controlled by the programme)")
        citizens = page.get_by_label("Simulated citizens agents")
        citizens.fill("2000")
        expect(pending).to_contain_text("citizens.count", timeout=WAIT)
        # Not yet: the running model keeps its configuration until Reset.
        expect(desc).to_contain_text("integration, phased rollout, 10,000 citizens")
        s.wait_month(2)
        reset = page.get_by_role("button", name="Reset", exact=True)
        reset.click()
        expect(desc).to_contain_text("fragmentation, phased rollout, 2,000 citizens", timeout=WAIT)
        s.wait_month(0)
        expect(page.locator(".egov-pending")).to_have_count(0)
        # Live validation: a bad value names its source at once and disables Reset; the
        # running model stays.
        citizens.fill("3")
        error = page.locator(".egov-error")
        expect(error).to_contain_text("app controls: [citizens] count", timeout=WAIT)
        expect(reset).to_be_disabled()
        expect(desc).to_contain_text("2,000 citizens")
        citizens.fill("2000")
        expect(error).to_have_count(0, timeout=WAIT)
        expect(reset).to_be_enabled()
        seed = page.locator(".egov-seed input")
        seed.fill("-1")
        expect(error).to_contain_text("Seed (app control):", timeout=WAIT)
        expect(reset).to_be_disabled()
        seed.fill("7")
        expect(error).to_have_count(0, timeout=WAIT)
        expect(pending).to_contain_text("seed", timeout=WAIT)
        # Loading a shipped scenario resets the levers and the seed to the file's [run] seed.
        page.locator(".egov-config .v-select").filter(has_text="Scenario").first.locator(
            ".v-select__slot"
        ).click()
        page.get_by_role("option", name="water_board", exact=True).click()
        expect(seed).to_have_value("42", timeout=WAIT)
        expect(pending).to_contain_text("scenario", timeout=WAIT)
    finally:
        s.close()


def test_scenario_path_error_keeps_the_typed_text(server, browser, tmp_path: Path):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        box = page.locator(".egov-path input")
        error = page.locator(".egov-path-error")
        missing = str(tmp_path / "no-such-dir" / "plan.toml")
        box.fill(missing)
        box.press("Enter")
        expect(error).to_contain_text(missing, timeout=WAIT)
        expect(error).to_contain_text("not found")
        expect(box).to_have_value(missing)
        # Another bad value: the message follows it (not the first one's, stale).
        box.fill("no_such_scenario")
        box.press("Enter")
        expect(error).to_contain_text("no_such_scenario", timeout=WAIT)
        expect(error).not_to_contain_text(missing)
        expect(box).to_have_value("no_such_scenario")
        # A good one clears the message and loads the file's values.
        box.fill("water_board")
        box.press("Enter")
        expect(error).to_have_count(0, timeout=WAIT)
        expect(page.locator(".egov-pending")).to_contain_text("scenario", timeout=WAIT)
    finally:
        s.close()


def test_two_browser_contexts_do_not_share_a_model(server, browser):
    one = Session(browser, server["url"])
    try:
        one.step(3)
        two = Session(browser, server["url"])  # a second session starts at month 0 ...
        try:
            two.step(1)
            assert "Month 1 /" in two.status()
            one.page.wait_for_timeout(500)
            assert "Month 3 /" in one.status()  # ... and stepping it leaves the first alone
            one.step(1)
            two.page.wait_for_timeout(500)
            assert "Month 1 /" in two.status()
        finally:
            two.close()
    finally:
        one.close()


def test_compare_mode_draws_two_configurations_on_the_same_axes(server, browser):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        s.wait_charts()
        s.step(2)
        for k in range(PANELS):
            s.wait_drawn(f".egov-panel-{k} {CHART}", 3)
        single = s.panels()
        page.get_by_role("button", name="Compare", exact=True).click()
        readout = page.locator(".egov-readout")
        expect(readout).to_contain_text("A: integration", timeout=WAIT)
        expect(readout).to_contain_text("B: fragmentation", timeout=WAIT)
        s.wait_month(0)
        s.wait_charts(PANELS + 2)  # two networks
        for k in range(PANELS):
            s.wait_drawn(f".egov-panel-{k} {CHART}", 1)
        start = s.panels()
        s.play_until(36)
        month = s.month()
        for k in range(PANELS):
            s.wait_drawn(f".egov-panel-{k} {CHART}", month + 1)
        later = s.panels()
        # Single mode draws no red; compare mode draws configuration B in red and A in
        # blue, and both sets of curves grow as the runs advance (not just the legend).
        assert sum(near(x, RED) for x in single) < 50
        assert sum(near(x, RED) for x in later) > sum(near(x, RED) for x in start) + 300
        assert sum(near(x, BLUE) for x in later) > sum(near(x, BLUE) for x in start) + 300
        # On the same axes: each panel holds A's and B's series, B's dashed and red.
        for k in range(PANELS):
            option = s.option(f".egov-panel-{k} {CHART}")
            legend = option["legend"]["data"]
            a = [n for n in legend if n.startswith("A: ")]
            b = [n for n in legend if n.startswith("B: ")]
            assert a and len(a) == len(b) == len(legend) / 2, legend
            assert b[0].endswith("(dashed)") and "dashed" not in a[0], legend
            for x in option["series"]:
                assert x["lineStyle"]["color"] == RUN_COLOURS[x["name"].startswith("B: ")], x["name"]
                assert len(x["data"]) == month + 1
        # Both runs stepped in lockstep from one seed.
        assert re.search(r"seed \d+", s.status())
        assert len(page.locator(".egov-readout tr").all()) == 3  # header + A + B
        # Each configuration's files can be downloaded.
        for name in ("A/timeseries.csv", "B/timeseries.csv", "B/adoption.png"):
            expect(page.locator(".egov-export").get_by_role("button", name=name)).to_be_visible()
    finally:
        s.close()


def test_replications_draw_bands_and_a_kpi_table(server, browser):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator(".egov-readout")).to_contain_text("B: fragmentation", timeout=WAIT)
        s.wait_charts(PANELS + 2)
        cards = page.locator(".egov-replications")
        n = cards.locator(".egov-n input")
        n.fill("3")
        run = cards.get_by_role("button", name="Run 3 replications")
        expect(run).to_be_enabled(timeout=WAIT)
        run.click()
        table = cards.locator(".egov-replicate-table")
        expect(table).to_contain_text("n = 3", timeout=WAIT * 2)
        expect(cards.locator(".egov-replicate-progress")).to_have_count(0)
        heads = [squash(h) for h in table.locator("th").all_inner_texts()]
        assert "95 % CI" in heads and "pairs" in heads, heads
        pairs = heads.index("pairs")
        rows = table.locator("tbody tr").all()
        assert len(rows) > 3
        for row in rows:
            assert row.locator("td").nth(pairs).inner_text().strip() == "3"
        # The curves now carry each configuration's mean with its 95 % band.
        months = int(re.search(r"Month \d+ / (\d+)", s.status()).group(1))
        for k in range(PANELS):
            series = s.option(f".egov-panel-{k} {CHART}")["series"]
            bands = [x for x in series if x.get("id", "").startswith("band ")]
            assert any(x["name"].startswith("A: ") for x in bands), [x["name"] for x in series]
            assert any(x["name"].startswith("B: ") for x in bands), [x["name"] for x in series]
            assert any("areaStyle" in x for x in bands)  # the shaded band
            assert all(len(x["data"]) == months + 1 for x in bands)
        expect(page.locator(".egov-bands-caption")).to_contain_text("mean of 3 replications")
        # Hovering a panel gives each mean with its band's bounds, the values drawn there.
        trust = f".egov-panel-3 {CHART}"
        chart = page.locator(trust)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.7)
        expect(chart).to_contain_text("mean of 3", timeout=WAIT)
        tip = chart.inner_text()
        month = int(re.search(r"month (\d+)", tip).group(1))
        series = s.option(trust)["series"]
        hovered = re.findall(r"(.+), mean of 3: ([-\d.]+) \(0–1\), 95 %: ([-\d.]+)–([-\d.]+)", tip)
        assert len(hovered) == 4, tip  # A and B, trust and resistance
        for name, *values in hovered:
            mean, low, high = (float(v) for v in values)
            assert low <= mean <= high, tip
            drawn = {
                x["id"].rsplit(" ", 1)[1]: x["data"][month]
                for x in series
                if x.get("id", "").startswith("band ") and x["name"] == name
            }
            assert (drawn["mean"], drawn["low"], drawn["high"]) == pytest.approx(
                (mean, low, high), abs=1e-3
            ), (name, tip)
        page.mouse.move(0, 0)
    finally:
        s.close()


def test_lever_tooltip_explains_the_parameter(server, browser):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        for key, group in (("rollout.wave_size", None), ("negotiation.compensation_budget", "Negotiation")):
            lever = LEVER_BY_KEY[key]
            if group:
                s.open_group(group)
            css = ".egov-lever-" + key.replace(".", "-").replace("_", "-")
            page.locator(css).hover()
            tip = page.locator(".v-tooltip__content").filter(has_text=key)
            expect(tip).to_be_visible(timeout=WAIT)
            text = squash(tip.inner_text())
            assert text == squash(tooltip(lever))
            assert squash(lever.help) in text and lever.help
            assert f"unit: {lever.unit}" in text and lever.unit
            page.mouse.move(0, 0)
            expect(tip).to_be_hidden(timeout=WAIT)
    finally:
        s.close()


def test_clicking_a_party_in_the_network_shows_it(server, browser):
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        s.step(4)
        s.wait_charts()
        chart = page.locator(NETWORK)
        chart.scroll_into_view_if_needed()
        inspector = page.locator(".egov-inspector")
        expect(inspector).to_contain_text("Click a party")
        option = s.option(NETWORK)
        nodes = option["series"][0]["data"]
        for index in (1, len(nodes) - 1):  # a department, then a partner
            node = nodes[index]
            assert node["party"] == index
            x, y = chart.evaluate(
                "(el, i) => el.__vue__.chart.getModel().getSeriesByIndex(0).getData().getItemLayout(i)", index
            )
            box = chart.bounding_box()
            page.mouse.click(box["x"] + x, box["y"] + y)
            party = inspector.locator(".egov-party")
            expect(party).to_contain_text(node["name"], timeout=WAIT)
            expect(party).to_contain_text("history")
            text = party.inner_text()
            assert re.search(rf"state\s+{STATES[node['category']]}\b", text), text
    finally:
        s.close()


def test_download_all_files_as_zip(server, browser):
    s = Session(browser, server["url"])
    page = s.page
    try:
        s.step(3)
        from playwright.sync_api import expect

        expect(page.locator(".egov-export")).to_contain_text("month 3", timeout=WAIT)
        with page.expect_download(timeout=WAIT) as info:
            page.locator(".egov-export").get_by_role("button", name="All files (.zip)").click()
        download = info.value
        assert download.suggested_filename == "egov-run-month3.zip"
        with zipfile.ZipFile(download.path()) as zf:
            names = set(zf.namelist())
            for name in (
                "timeseries.csv",
                "kpis.json",
                "scorecard.csv",
                "events.csv",
                "manifest.json",
                "adoption.png",
            ):
                assert name in names, names
            rows = list(csv.DictReader(io.StringIO(zf.read("timeseries.csv").decode("utf-8"))))
            assert len(rows) == 3 + 1  # months 0..3
            assert zf.read("adoption.png").startswith(b"\x89PNG")
    finally:
        s.close()


def test_layout_fits_a_1280_by_720_screen(server, browser):
    from playwright.sync_api import expect

    width, height = 1280, 720
    s = Session(browser, server["url"], viewport=(width, height))
    page = s.page
    try:
        s.wait_charts()
        # No horizontal overflow: neither the page nor the main content scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        main = page.locator("main.solara-content-main .v-content__wrap > div").first
        assert main.evaluate("e => e.scrollWidth <= e.clientWidth"), main.evaluate(
            "e => [e.scrollWidth, e.clientWidth]"
        )
        # The first screen shows the status, the Step button and the first curve panel.
        for loc in (
            page.locator(".egov-status"),
            page.get_by_role("button", name="Step", exact=True),
            page.locator(f".egov-panel-0 {CHART}"),
        ):
            box = loc.bounding_box()
            assert box is not None and box["width"] > 0, loc
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (loc, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (loc, box)
        # Nothing (no banner) covers the scorecard.
        expect(page.get_by_text("This website runs on Solara")).to_have_count(0)
        card = page.locator(".egov-scorecard")
        card.scroll_into_view_if_needed()
        inside = card.evaluate(
            """e => { const r = e.getBoundingClientRect();
                return [[0.5, 0.5], [0.1, 0.9], [0.9, 0.9], [0.5, 0.95]].map(([fx, fy]) => {
                    const hit = document.elementFromPoint(r.x + fx * r.width, r.y + fy * r.height);
                    return !!hit && e.contains(hit); }); }"""
        )
        assert all(inside), inside
        # Every slider lever keeps a usable track beside (or below) its label.
        for group in ("Negotiation", "Learning and adjustment", "Context (not controlled by the programme)"):
            s.open_group(group)
        widths = page.evaluate(
            """() => [...document.querySelectorAll('.egov-lever')].map(e => {
                const sl = e.querySelector('.v-slider');
                return [e.className.split(' ').pop(), sl ? sl.getBoundingClientRect().width : null]; })"""
        )
        narrow = [(k, w) for k, w in widths if w is not None and w < 60]
        assert not narrow, f"slider tracks too narrow to use (px): {narrow}"
        # No label runs into the next control: each label's text fits its box, the box lies
        # inside its lever, and levers do not overlap (wrapped labels once overflowed a
        # fixed 20 px line, and floating labels sat above their field).
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.egov-lever')].map(e => {
                const r = e.getBoundingClientRect(), l = e.querySelector('.v-label');
                const b = l.getBoundingClientRect();
                return {key: e.className.split(' ').pop(), top: r.top, bottom: r.bottom,
                        ltop: b.top, lbottom: b.bottom, fits: l.scrollHeight <= l.clientHeight + 1}; })"""
        )
        assert len(boxes) == 24, len(boxes)
        spill = [b["key"] for b in boxes if not b["fits"]]
        outside = [b["key"] for b in boxes if b["ltop"] < b["top"] - 1 or b["lbottom"] > b["bottom"] + 1]
        assert not spill and not outside, f"labels overflow: {spill}; outside their lever: {outside}"
        overlap = [
            (a["key"], b["key"])
            for a, b in itertools.pairwise(boxes)
            if b["top"] < a["bottom"] - 1 < b["bottom"]
        ]
        assert not overlap, f"levers overlap: {overlap}"
        path = page.locator(".egov-path").bounding_box()
        first_group = page.locator(".egov-config .v-expansion-panels").first.bounding_box()
        assert path["y"] + path["height"] < first_group["y"], (path, first_group)
    finally:
        s.close()


def test_results_page_shows_report_and_figures(server, browser, tmp_path: Path):
    from playwright.sync_api import expect

    sweeps = server["results"] / "sweeps"
    sweep = sweeps / "trust_x_compensation"
    sweep.mkdir(parents=True)
    img = Image.new("RGB", (220, 120), (31, 119, 180))
    img.save(sweep / "agreement.png")
    img.save(sweep / "unreferenced.png")
    (sweep / "report.md").write_text(
        "# Sweep report: trust x compensation\n\n| trust | agreement |\n|---|---:|\n| 0.2 | 0.31 |\n\n"
        "![Agreement by trust](agreement.png)\n\nInjected <b>html</b> stays text.\n",
        encoding="utf-8",
    )
    s = Session(browser, server["url"])
    page = s.page
    try:
        page.get_by_role("button", name="Results", exact=True).click()
        box = page.get_by_label("Results folder (path, Enter)")
        box.fill(str(sweeps))
        box.press("Enter")
        page.locator(".egov-sweep .v-select__slot").click(timeout=WAIT)
        page.get_by_role("option", name="trust_x_compensation").click()
        report = page.locator(".egov-report")
        expect(report).to_contain_text("Sweep report: trust x compensation", timeout=WAIT)
        expect(report.locator("td").first).to_have_text("0.2")
        expect(report).to_contain_text("Injected <b>html</b> stays text.")
        figures = page.locator("img.egov-result-figure")
        expect(figures).to_have_count(2, timeout=WAIT)
        for i in range(2):
            assert figures.nth(i).evaluate("img => img.naturalWidth") == 220
    finally:
        s.close()


def test_no_request_leaves_localhost(server, browser, tmp_path: Path):
    """Every mode, Play and replications included: all requests (HTTP and websocket) go to
    this machine, the echarts bundle too."""
    from playwright.sync_api import expect

    s = Session(browser, server["url"])
    page = s.page
    try:
        s.wait_charts()
        s.step(2)
        s.play_until(8)
        cards = page.locator(".egov-replications")
        cards.locator(".egov-n input").fill("2")
        cards.get_by_role("button", name="Run 2 replications").click()
        expect(cards.locator(".egov-replicate-table")).to_contain_text("n = 2", timeout=WAIT * 2)
        page.locator(".egov-lever-rollout-wave-size").hover()
        page.locator(".v-tooltip__content").filter(has_text="rollout.wave_size").wait_for(timeout=WAIT)
        page.get_by_role("button", name="Compare", exact=True).click()
        page.locator(".egov-readout").filter(has_text="B:").wait_for(timeout=WAIT)
        s.wait_charts(PANELS + 2)
        s.step(1)
        page.get_by_role("button", name="Results", exact=True).click()
        page.get_by_label("Results folder (path, Enter)").wait_for(timeout=WAIT)
        here = server["results"] / "offline"
        (here / "r").mkdir(parents=True)
        (here / "r" / "report.md").write_text("# r\n\ntext $x^2$\n", encoding="utf-8")
        page.get_by_label("Results folder (path, Enter)").fill(str(here))
        page.get_by_label("Results folder (path, Enter)").press("Enter")
        page.locator(".egov-sweep .v-select__slot").click(timeout=WAIT)
        page.get_by_role("option", name="r", exact=True).click()
        page.locator(".egov-report").wait_for(timeout=WAIT)
        page.reload()
        s.wait_month(0)
        s.wait_charts()
        assert len(s.requests) > 10
        assert any(u.startswith("ws") for u in s.requests), "no websocket seen: the page did not connect"
        assert any("echarts" in u for u in s.requests), "the echarts bundle was not requested"
        assert remote(s.requests) == [], f"requests left localhost: {remote(s.requests)[:5]}"
        # Server side: no front-end file was missing (a miss would be fetched from the
        # CDN setting, which `serve` points at a closed local port, and logged).
        assert "Could not load URL" not in server["log"].read_text()
    finally:
        s.close()


def test_decision_map_view_opens_compare_at_a_clicked_cell(server, browser, tmp_path: Path):
    """Load an ``egov-sim map`` folder in the Decision map view, click a cell: A/B compare
    opens with the cell's two leading designs at its context."""
    import json

    from playwright.sync_api import expect

    from simulation.webapp.decision_map import MapData

    folder = server["results"] / "maps" / "muni"
    tiny = ["--levels", "2", "--draws", "1", "--replications", "2", "--citizens", "100", "--steps", "36"]
    res = subprocess.run(
        [*egov_sim(), "map", "municipality_building_housing", *tiny, "--workers", "1", "--out", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    data = MapData.from_folder(folder)
    first, second = data.leading("combined", 1, 0)
    s = Session(browser, server["url"])
    page = s.page
    try:
        page.get_by_role("button", name="Decision map", exact=True).click()
        box = page.locator(".egov-map-folder input")
        box.fill(str(folder))
        box.press("Enter")
        cell = page.locator(".egov-map-cell-1-0")
        expect(cell).to_be_visible(timeout=WAIT)
        expect(page.locator(".egov-map-cell")).to_have_count(4)
        winner = data.designs[data.winner["combined"][1][0]].split(", ")[1]
        expect(cell).to_contain_text(winner)
        page.screenshot(path=str(tmp_path / "decision_map.png"), full_page=True)
        shutil.copy(tmp_path / "decision_map.png", server["results"] / "decision_map_view.png")
        cell.click()
        note = page.locator(".egov-map-note")
        expect(note).to_contain_text("Decision map cell", timeout=WAIT)
        expect(note).to_contain_text(f"A = {data.designs[first]}")
        expect(note).to_contain_text(f"B = {data.designs[second]}")
        readout = page.locator(".egov-readout")
        a_model, b_model = data.designs[first].split(", ")[0], data.designs[second].split(", ")[0]
        expect(readout).to_contain_text("A: ", timeout=WAIT)
        text = readout.inner_text()
        assert a_model in text and b_model in text, text
        s.wait_month(0)
        s.wait_charts(PANELS + 2)  # two networks: compare mode
        expect(page.get_by_text("Configuration B", exact=True)).to_be_visible(timeout=WAIT)  # the sidebar
        page.screenshot(path=str(tmp_path / "decision_map_compare.png"), full_page=True)
        shutil.copy(tmp_path / "decision_map_compare.png", server["results"] / "decision_map_compare.png")
        print(json.dumps({"screenshots": str(server["results"])}))
    finally:
        s.close()
