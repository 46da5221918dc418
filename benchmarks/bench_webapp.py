"""Speed of the browser app (issue 11 targets: >= 10 months/s single and >= 5 compare on
10,000 citizens under load, server ready in under 5 s). Prints figures; asserts nothing.

    python benchmarks/bench_webapp.py [--seconds 6] [--load 2] [--no-browser] [--screenshots docs/img]

1. Server start: ``egov-sim serve`` until it answers HTTP 200 on ``/`` (best and all of 3),
   then until a browser shows the first month and the curves.
2. Server side, in-process: months per second of step + rebuilding every view (six curve
   options, network, scorecard, events), single run and compare mode.
3. End to end: Debian's chromium (Playwright, headless) presses Play and reads the month
   counter the browser shows before and after --seconds, with Auto on (the default: draw
   less often when a frame is slow) and off (every month drawn and sent); and the time
   from a click on Step (one month) or Reset to the new month on screen (median of 5).
4. With --load N: the same while N processes spin on the CPU (a busy machine).
5. With --screenshots DIR: app_main.png, app_party.png, app_levers.png, app_compare.png,
   app_bands.png, app_bands_hover.png, app_bands_table.png.

The machine load (1-minute load average) is printed with each figure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.webapp.browser import CHROMIUM_ARGS  # noqa: E402


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def server_side(months: int = 60) -> None:
    from simulation.webapp.app import Sim
    from simulation.webapp.session import Settings

    s = Settings.from_scenario("municipality_building_housing")
    assert s["citizens.count"] == 10_000
    for name, b in (
        ("single run", None),
        ("compare (2 models)", s.update({"service.model": "fragmentation"})),
    ):
        sim = Sim.build(s, b, 42)
        t, c = time.perf_counter(), time.process_time()
        for _ in range(months):
            sim.advance(1)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"server, {name}, 10,000 citizens: step + rebuild every view each month {months / wall:.0f} "
            f"months/s wall, {months / cpu:.0f} per CPU-second ({load()})"
        )


def spin() -> None:
    while True:
        pass


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


def server_ready(times: int = 3) -> None:
    """Seconds from ``egov-sim serve`` to the first HTTP 200 on ``/``."""
    got = []
    for _ in range(times):
        port = free_port()
        t = time.perf_counter()
        proc = start_server(port)
        got.append(time.perf_counter() - t)
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"server ready (HTTP 200 on /): best {min(got):.2f} s, all {', '.join(f'{x:.2f}' for x in got)} ({load()})"
    )


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


def latency(page, times: int = 5) -> tuple[float, float]:
    """Median seconds from a click to the new month on screen: Step (one month), Reset."""
    steps, resets = [], []
    for _ in range(times):
        m = month(page)
        t = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(
            f"() => /Month {m + 1} \\//.test(document.querySelector('.egov-status').innerText)"
        )
        steps.append(time.perf_counter() - t)
    for _ in range(times):
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function("() => !/Month 0 \\//.test(document.querySelector('.egov-status').innerText)")
        t = time.perf_counter()
        reset(page)
        resets.append(time.perf_counter() - t)
    return float(np.median(steps)), float(np.median(resets))


def reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("() => /Month 0 \\//.test(document.querySelector('.egov-status').innerText)")


def browser(seconds: float, shots: Path | None, label: str) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium not found: bash scripts/browser-deps.sh")
    port = free_port()
    t = time.perf_counter()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            page = b.new_page(viewport={"width": 1280, "height": 720})
            opened = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".egov-panel-0 canvas").first.wait_for(timeout=120_000)
            now = time.perf_counter()
            print(
                f"{label}: first month and curves in the browser {now - t:.1f} s after `serve` "
                f"(chromium's launch included), {now - opened:.1f} s after the page was opened"
            )
            for mode in ("Single run", "Compare"):
                if mode == "Compare":
                    page.get_by_role("button", name="Compare", exact=True).click()
                    page.locator(".egov-readout").filter(has_text="B:").wait_for(timeout=120_000)
                step, rebuild = latency(page)
                print(
                    f"{label}, browser, {mode}: Step to the next month on screen {step:.2f} s, "
                    f"Reset {rebuild:.2f} s (median of 5; {load()})"
                )
                auto = page.get_by_label(re.compile("^Auto"))
                assert auto.is_checked(), "Auto should be on by default"
                rate, status = play_rate(page, seconds)
                print(f"{label}, browser, {mode}, auto (default): {rate:.1f} months/s  [{status}] ({load()})")
                auto.uncheck(force=True)
                reset(page)
                rate, status = play_rate(page, seconds)
                print(
                    f"{label}, browser, {mode}, every month drawn: {rate:.1f} months/s  [{status}] ({load()})"
                )
                auto.check(force=True)
                reset(page)
                if shots is not None:
                    screenshots(page, mode, shots)
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def screenshots(page, mode: str, shots: Path) -> None:
    """Pictures with something to see: well into the run, paused."""
    shots.mkdir(parents=True, exist_ok=True)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(
        "() => +document.querySelector('.egov-status').innerText.match(/Month (\\d+)/)[1] >= 96",
        timeout=180_000,
    )
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.wait_for_timeout(1500)
    if mode == "Single run":
        page.screenshot(path=str(shots / "app_main.png"))
        # Click the first party of the network (its pixel position from the echarts instance).
        canvas = page.locator(".egov-network .solara-echarts").first
        canvas.scroll_into_view_if_needed()
        xy = canvas.evaluate(
            "el => el.__vue__.chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0)"
        )
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        page.locator(".egov-party").first.wait_for(timeout=60_000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "app_party.png"))
        # A lever's tooltip, in the sidebar's rollout group.
        lever = page.locator(".egov-lever-rollout-wave-size")
        lever.scroll_into_view_if_needed()
        lever.hover()
        page.locator(".v-tooltip__content").filter(has_text="rollout.wave_size").wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "app_levers.png"))
        print(f"wrote {shots / 'app_main.png'}, {shots / 'app_party.png'}, {shots / 'app_levers.png'}")
    else:
        page.locator(".egov-curves").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "app_compare.png"))
        page.get_by_label("Replications n").fill("10")
        page.get_by_role("button", name="Run 10 replications").click()
        page.locator(".egov-replicate-table").wait_for(timeout=300_000)
        page.locator(".egov-curves").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / "app_bands.png"))
        # The trust panel's hover: each mean with its band's 95 % bounds.
        chart = page.locator(".egov-panel-3 .solara-echarts").first
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        # Left of the middle (month 87 in docs/img), inside the played run, so its values show too.
        page.mouse.move(box["x"] + box["width"] * 0.42, box["y"] + box["height"] * 0.7)
        page.get_by_text(re.compile("mean of 10")).first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "app_bands_hover.png"))
        page.mouse.move(0, 0)
        page.locator(".egov-replications").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "app_bands_table.png"))
        print(
            f"wrote {shots / 'app_compare.png'}, {shots / 'app_bands.png'}, "
            f"{shots / 'app_bands_hover.png'}, {shots / 'app_bands_table.png'}"
        )
    reset(page)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6.0, help="play time per measurement (default 6)")
    ap.add_argument("--load", type=int, default=0, help="also measure with N CPU-spinning processes")
    ap.add_argument("--no-browser", action="store_true", help="only the in-process figures")
    ap.add_argument("--screenshots", type=Path, help="also save app screenshots into this folder")
    args = ap.parse_args()
    server_ready()
    server_side()
    if args.no_browser:
        return
    browser(args.seconds, args.screenshots, "as is")
    if args.load:
        spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.load)]
        for sp in spinners:
            sp.start()
        try:
            time.sleep(3)
            server_ready()
            browser(args.seconds, None, f"with {args.load} CPU spinners")
        finally:
            for sp in spinners:
                sp.terminate()


if __name__ == "__main__":
    main()
