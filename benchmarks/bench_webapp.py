"""Speed of the browser app (issue 4 target: a 10,000-citizen model steps at >= 5 months
per second with the plots updating). Prints figures; asserts nothing.

    python benchmarks/bench_webapp.py [--seconds 10] [--no-browser] [--screenshots docs/img]

1. Server side, in-process: months per second of step + redraw of all views (curves,
   network, scorecard), single run and compare mode, wall and CPU time.
2. End to end: `egov-sim serve` on a free port, Debian's chromium (Playwright, headless)
   presses Play with "draw every 1 month" and reads the month counter the browser shows
   before and after --seconds: every counted month was drawn and sent to the browser.
   Then the same with "Auto" (draw less often to keep >= 10 months/s).
3. With --screenshots DIR: saves the main page and compare mode as PNGs (docs/img/).

The machine load (1-minute load average) is printed with each figure: the browser, the
server and the model share the cores, so a busy machine lowers every number.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.webapp.browser import CHROMIUM_ARGS  # noqa: E402


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def server_side(months: int = 60) -> None:
    from simulation.webapp.app import Sim
    from simulation.webapp.session import Settings

    s = Settings.from_scenario("municipality_building_housing")
    assert s.citizens == 10_000
    for name, b in (("single run", None), ("compare (2 models)", s.update(service_model="fragmentation"))):
        sim = Sim.build(s, b, 42)
        t, c = time.perf_counter(), time.process_time()
        for _ in range(months):
            sim.lockstep.step(1)
        step_wall = months / (time.perf_counter() - t)
        sim = Sim.build(s, b, 42)
        t, c = time.perf_counter(), time.process_time()
        for _ in range(months):
            sim.advance(1)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"server, {name}, 10,000 citizens: step only {step_wall:.0f} months/s; "
            f"step + redraw every month {months / wall:.1f} months/s wall, "
            f"{months / cpu:.1f} per CPU-second ({load()})"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "egov-sim"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("egov-sim serve did not start within 120 s")


def month(page) -> int:
    return int(re.search(r"Month (\d+)", page.locator(".egov-status").inner_text()).group(1))


def play_rate(page, seconds: float) -> tuple[float, str]:
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => /playing at/.test(document.querySelector('.egov-status').innerText)")
    m0, t0 = month(page), time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    m1, t1 = month(page), time.perf_counter()
    status = page.locator(".egov-status").inner_text()
    pause = page.get_by_role("button", name="Pause", exact=True)
    if pause.count():  # else the run reached its last month inside the window
        pause.click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    return (m1 - m0) / (t1 - t0), status


def reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("() => /Month 0 \\//.test(document.querySelector('.egov-status').innerText)")


def browser(seconds: float, shots: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium not found: bash scripts/browser-deps.sh")
    port = free_port()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            page = b.new_page(viewport={"width": 1440, "height": 1500})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("img.egov-curves").wait_for(timeout=120_000)
            for mode in ("Single run", "Compare"):
                if mode == "Compare":
                    page.get_by_role("button", name="Compare", exact=True).click()
                    page.locator(".egov-readout").filter(has_text="B:").wait_for(timeout=120_000)
                rate, status = play_rate(page, seconds)
                print(f"browser, {mode}, draw every month: {rate:.1f} months/s  [{status}] ({load()})")
                page.get_by_label(re.compile("^Auto")).check(force=True)
                reset(page)
                rate, status = play_rate(page, seconds)
                print(f"browser, {mode}, auto: {rate:.1f} months/s  [{status}] ({load()})")
                page.get_by_label(re.compile("^Auto")).uncheck(force=True)
                if shots is not None:
                    # A picture with something to see: well into the run, paused.
                    reset(page)
                    page.get_by_role("button", name="Play", exact=True).click()
                    page.wait_for_function(
                        "() => +document.querySelector('.egov-status').innerText.match(/Month (\\d+)/)[1] >= 96",
                        timeout=180_000,
                    )
                    page.get_by_role("button", name="Pause", exact=True).click()
                    page.get_by_role("button", name="Play", exact=True).wait_for()
                    page.wait_for_timeout(1500)
                    name = "app_main.png" if mode == "Single run" else "app_compare.png"
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / name))
                    print(f"wrote {shots / name}")
                    reset(page)
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6.0, help="play time per measurement (default 6)")
    ap.add_argument("--no-browser", action="store_true", help="only the in-process figures")
    ap.add_argument("--screenshots", type=Path, help="also save app screenshots into this folder")
    args = ap.parse_args()
    server_side()
    if not args.no_browser:
        browser(args.seconds, args.screenshots)


if __name__ == "__main__":
    main()
