"""The browser app, driven through Debian's chromium with Playwright (headless).

One server (``egov-sim serve --port <free port>``) and one browser for the module. If
chromium is missing the tests fail and say how to install it (scripts/browser-deps.sh);
they never skip. Timing is not asserted here (benchmarks/bench_webapp.py measures it).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from conftest import REPO, egov_sim
from PIL import Image

from simulation.webapp.browser import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
WAIT = 60_000  # ms; generous, the CI machine may be busy
RED = (214, 39, 40)  # configuration B in compare mode (figures.RUN_COLOURS[1])
BLUE = (31, 119, 180)  # configuration A / first series


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

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1300})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        self.wait_month(0)

    def status(self) -> str:
        return self.page.locator(".egov-status").inner_text()

    def wait_month(self, month: int) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".egov-status")).to_contain_text(f"Month {month} /", timeout=WAIT)

    def step(self, times: int = 1) -> None:
        start = int(re.search(r"Month (\d+)", self.status()).group(1))
        for i in range(times):
            self.page.get_by_role("button", name="Step", exact=True).click()
            self.wait_month(start + i + 1)

    def image(self, cls: str) -> np.ndarray:
        """The rendered view as the browser shows it (an RGB array)."""
        loc = self.page.locator(f"img.{cls}")
        loc.wait_for(timeout=WAIT)
        width = loc.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 100, f"{cls}: image not rendered (naturalWidth {width})"
        png = loc.screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

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


def test_serve_prints_address(server):
    assert server["log"].read_text().splitlines()[0].startswith(f"egov-sim app: {server['url']}")


def test_plots_render_and_change_after_stepping(server, browser):
    s = Session(browser, server["url"])
    try:
        before = {c: s.image(c) for c in ("egov-curves", "egov-network", "egov-scorecard")}
        s.step(3)
        s.page.get_by_role("button", name="Play", exact=True).click()
        s.page.wait_for_function(
            "() => /Month (\\d+)/.test(document.querySelector('.egov-status').innerText) && "
            "+document.querySelector('.egov-status').innerText.match(/Month (\\d+)/)[1] >= 30",
            timeout=WAIT,
        )
        s.page.get_by_role("button", name="Pause", exact=True).click()
        s.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=WAIT)
        after = {c: s.image(c) for c in before}
        # The curves grew: more non-white pixels than at month 0.
        ink = {k: int((v < 200).any(axis=-1).sum()) for k, v in before.items()}
        ink_after = {k: int((v < 200).any(axis=-1).sum()) for k, v in after.items()}
        assert ink_after["egov-curves"] > ink["egov-curves"] + 500, (ink, ink_after)
        for c in before:
            assert before[c].shape == after[c].shape
            changed = np.abs(before[c] - after[c]).sum(axis=-1) > 30
            assert changed.sum() > 50, f"{c} did not change after stepping"
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
        page.locator(".v-select").filter(has_text="Service model").locator(".v-select__slot").click()
        page.get_by_role("option", name="fragmentation", exact=True).click()
        pending = page.locator(".egov-pending")
        expect(pending).to_contain_text("service_model", timeout=WAIT)
        page.get_by_label("Number of citizens").fill("2000")
        expect(pending).to_contain_text("citizens", timeout=WAIT)
        # Not yet: the running model keeps its configuration until Reset.
        expect(desc).to_contain_text("integration, phased rollout, 10,000 citizens")
        s.wait_month(2)
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(desc).to_contain_text("fragmentation, phased rollout, 2,000 citizens", timeout=WAIT)
        s.wait_month(0)
        expect(page.locator(".egov-pending")).to_have_count(0)
        # A bad value gives a clear message and keeps the running model.
        page.get_by_label("Number of citizens").fill("3")
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.locator(".egov-error")).to_contain_text("[citizens] count", timeout=WAIT)
        expect(desc).to_contain_text("2,000 citizens")
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
    try:
        single = s.image("egov-curves")
        s.page.get_by_role("button", name="Compare", exact=True).click()
        readout = s.page.locator(".egov-readout")
        expect(readout).to_contain_text("A: integration", timeout=WAIT)
        expect(readout).to_contain_text("B: fragmentation", timeout=WAIT)
        s.wait_month(0)
        start = s.image("egov-curves")
        s.page.get_by_role("button", name="Play", exact=True).click()
        s.page.wait_for_function(
            "() => +(document.querySelector('.egov-status').innerText.match(/Month (\\d+)/) || [0, 0])[1] >= 60",
            timeout=WAIT * 2,
        )
        s.page.get_by_role("button", name="Pause", exact=True).click()
        s.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=WAIT)
        later = s.image("egov-curves")
        # Single mode draws no red; compare mode draws configuration B in red and A in
        # blue, and both sets of curves grow as the runs advance (not just the legend).
        assert near(single, RED) < 50
        assert near(later, RED) > near(start, RED) + 300
        assert near(later, BLUE) > near(start, BLUE) + 300
        # Both runs stepped in lockstep from one seed.
        assert re.search(r"seed \d+", s.status())
        assert len(s.page.locator(".egov-readout tr").all()) == 3  # header + A + B
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
    """Every mode, Play included: all requests (HTTP and websocket) go to this machine."""
    s = Session(browser, server["url"])
    page = s.page
    try:
        s.step(2)
        page.get_by_role("button", name="Compare", exact=True).click()
        page.locator(".egov-readout").filter(has_text="B:").wait_for(timeout=WAIT)
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
        assert len(s.requests) > 10
        assert any(u.startswith("ws") for u in s.requests), "no websocket seen: the page did not connect"
        assert remote(s.requests) == [], f"requests left localhost: {remote(s.requests)[:5]}"
        # Server side: no front-end file was missing (a miss would be fetched from the
        # CDN setting, which `serve` points at a closed local port, and logged).
        assert "Could not load URL" not in server["log"].read_text()
    finally:
        s.close()
