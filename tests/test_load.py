"""Load: 30 concurrent browser sessions on one ``egov-sim serve`` (loopback only), then
closed; the server must drop their kernels and give most of their memory back.

Bounded in time (each wait has a deadline). Prints the server's RSS before, at 30
sessions and after close (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from test_browser import WAIT, browser, start_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSIONS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Kernels of closed pages are culled after 2 s instead of Solara's default 24 h.
    yield from start_server(tmp_path_factory, env={"SOLARA_KERNEL_CULL_TIMEOUT": "2s"})


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def kernels(url: str) -> int:
    with urllib.request.urlopen(url + "resourcez", timeout=30) as resp:
        return int(json.load(resp)["kernels"]["total"])


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds:.0f} s")
        time.sleep(1)


def loaded(page) -> None:
    page.locator(".egov-status").filter(has_text="Month 0 /").wait_for(timeout=2 * WAIT)


def open_sessions(browser, url: str, n: int, wave: int = 5):  # noqa: F811
    """``n`` sessions, all open at the end; they load in waves of ``wave`` at once."""
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(n)]
    pages = [c.new_page() for c in contexts]
    for i in range(0, n, wave):
        for p in pages[i : i + wave]:
            p.goto(url, wait_until="commit")
        for p in pages[i : i + wave]:
            try:
                loaded(p)
            except Exception:  # a page stuck at "Loading app" on a busy machine: one reload
                p.reload(wait_until="commit")
                loaded(p)
    return contexts, pages


def close_all(contexts) -> None:
    for c in contexts:
        c.close()


def cycle(browser, url: str, pid: int, work: bool) -> tuple[float, float, float]:  # noqa: F811
    """Open SESSIONS sessions, (optionally) step three of them, close them all; returns
    (seconds to open, RSS at SESSIONS sessions, RSS after they were released), MiB."""
    start = time.monotonic()
    contexts, pages = open_sessions(browser, url, SESSIONS)
    opened = time.monotonic() - start
    assert kernels(url) >= SESSIONS
    assert all(p.locator(".egov-status").count() == 1 for p in pages)  # all still open
    if work:  # the sessions work, not just load
        for p in pages[:3]:
            p.get_by_role("button", name="Step", exact=True).click()
        for p in pages[:3]:
            p.locator(".egov-status").filter(has_text="Month 1 /").wait_for(timeout=WAIT)
    peak = rss_mib(pid)
    close_all(contexts)
    wait_until(lambda: kernels(url) == 0, 180, "kernels of the closed sessions released")
    time.sleep(4)  # the release (gc + malloc_trim) runs 2 s after a kernel closed
    return opened, peak, rss_mib(pid)


def test_thirty_sessions_release_their_memory(server, browser):  # noqa: F811
    url, pid = server["url"], server["proc"].pid
    # Warm up (imports, first charts), so "before" is the idle server, not a cold one.
    contexts, _ = open_sessions(browser, url, 2)
    close_all(contexts)
    wait_until(lambda: kernels(url) == 0, 120, "warm-up kernels closed")
    time.sleep(4)
    before = rss_mib(pid)
    opened, peak, after = cycle(browser, url, pid, work=True)
    opened2, peak2, after2 = cycle(browser, url, pid, work=False)
    grown = peak - before
    print(
        f"\nload: {SESSIONS} sessions opened in {opened:.0f} s; server RSS before {before:.0f} MiB, "
        f"at {SESSIONS} sessions {peak:.0f} MiB, after close {after:.0f} MiB; second round: "
        f"opened in {opened2:.0f} s, {peak2:.0f} MiB at {SESSIONS}, {after2:.0f} MiB after close"
    )
    assert grown > 0
    # A closed session that stays referenced (a leak) keeps all it took, round after round;
    # memory that glibc keeps in its arenas is reused by the next round. So: a second round
    # of 30 sessions must leave the server (almost) where the first left it, and the first
    # must give a good part of its growth back. Measured with the released kernels: see
    # docs/APP.md ("Load"); with the release disabled the retained share was 87 %.
    assert after2 - after < 0.5 * grown, (before, peak, after, peak2, after2)
    assert after - before < 0.8 * grown, (before, peak, after)
