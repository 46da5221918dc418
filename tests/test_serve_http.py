"""Issue 12 probes against a real ``egov-sim serve`` on 127.0.0.1: HTTP requests for the
asset handler, and the results page driven through chromium (results root, XSS, remote
images, /etc/passwd). Every request goes to this machine: the "remote" tracker is a local
HTTP listener that counts what reaches it.
"""

from __future__ import annotations

import base64
import http.server
import os
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from test_browser import WAIT, Session, browser, remote, start_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

ASSETS = Path(sys.prefix) / "share" / "solara" / "cdn"
APP = "@widgetti/solara-vuetify-app@10.1.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from start_server(tmp_path_factory)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def tree(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*") if p.is_file())


def test_folder_get_deletes_no_assets(server):
    dist = ASSETS / APP / "dist"
    assert dist.is_dir(), f"{dist}: solara-assets is not installed"
    before = tree(ASSETS / APP)
    bundle = next(p for p in sorted(dist.iterdir()) if p.suffix == ".js")
    for path in (f"{APP}/dist", f"{APP}/dist/", APP, "@widgetti"):
        status, _ = get(server["url"] + f"_solara/cdn/{path}")
        assert status == 404, path
    assert tree(ASSETS / APP) == before, "a GET changed the asset folder"
    status, body = get(server["url"] + f"_solara/cdn/{APP}/dist/{bundle.name}")
    assert status == 200 and body == bundle.read_bytes()


def test_asset_handler_fetches_writes_and_leaks_nothing(server):
    before = tree(ASSETS)
    for path in (
        "nosuchpackage@1.0.0/index.js",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2f..%2f..%2fetc%2fpasswd",
    ):
        status, body = get(server["url"] + "_solara/cdn/" + path)
        assert b"root:x:0:0" not in body, path
        assert status in (404, 400) or (status == 200 and b"root:" not in body), (path, status)
    assert tree(ASSETS) == before
    assert "Could not load URL" not in server["log"].read_text()  # nothing was fetched


@pytest.fixture
def tracker():
    """A local 'remote' server that records every request reaching it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()


def open_results(s: Session, folder: str) -> None:
    page = s.page
    page.get_by_role("button", name="Results", exact=True).click()
    box = page.get_by_label("Results folder (path, Enter)")
    box.fill(folder)
    box.press("Enter")


def test_results_page_refuses_folders_outside_the_root(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    link = server["results"] / "link-to-etc"
    if not link.exists():
        os.symlink("/etc", link)
    s = Session(browser, server["url"])
    try:
        for typed in ("/", "/etc", "..", str(link)):
            open_results(s, typed)
            expect(s.page.locator(".egov-refused")).to_contain_text(
                "outside the results folder", timeout=WAIT
            )
            assert s.page.locator(".egov-sweep").count() == 0
    finally:
        s.close()


def test_report_scripts_remote_images_and_passwd_do_no_harm(server, browser, tracker):  # noqa: F811
    from playwright.sync_api import expect

    base, hits = tracker
    sweep = server["results"] / "evil" / "sweep"
    sweep.mkdir(parents=True)
    Image.new("RGB", (30, 20), (31, 119, 180)).save(sweep / "ok.png")
    os.symlink("/etc/passwd", sweep / "passwd.png")
    (sweep / "fake.png").write_bytes(Path("/etc/passwd").read_bytes())
    (sweep / "report.md").write_text(
        "# Evil report\n\n"
        "[click me](javascript:window.__xss=1)\n\n"
        f"![pixel]({base}/pixel.gif)\n\n"
        f'<img src="{base}/raw.gif" onerror="window.__xss=2">\n\n'
        f"[ref][r]\n\n[r]: javascript:window.__xss=3\n\n"
        "![ok](ok.png)\n\n![passwd](passwd.png)\n\n![fake](fake.png)\n\n![abs](/etc/passwd)\n",
        encoding="utf-8",
    )
    frames: list[str | bytes] = []
    dialogs: list[str] = []
    s = Session(browser, server["url"])
    s.page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    s.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        open_results(s, str(server["results"] / "evil"))
        s.page.locator(".egov-sweep .v-select__slot").click(timeout=WAIT)
        s.page.get_by_role("option", name="sweep").click()
        report = s.page.locator(".egov-report")
        expect(report).to_contain_text("Evil report", timeout=WAIT)
        expect(s.page.locator("img.egov-result-figure")).to_have_count(1, timeout=WAIT)  # ok.png only
        s.page.get_by_text("click me").click()
        s.page.get_by_text("ref", exact=True).click()
        s.page.wait_for_timeout(1500)
        assert s.page.evaluate("window.__xss") is None, "a script from the report ran"
        assert dialogs == []
        assert report.locator("a[href^='javascript'], [onerror], script, iframe").count() == 0
        assert report.locator("img:not(.egov-result-figure)").count() == 0
        assert hits == [], f"the report made the browser fetch {hits}"
        assert [u for u in s.requests if u.startswith(base)] == [] and remote(s.requests) == []
        passwd = Path("/etc/passwd").read_bytes()[:24]
        leaked = [passwd, base64.b64encode(passwd)[:20]]
        for frame in frames:
            data = frame.encode() if isinstance(frame, str) else frame
            assert not any(x in data for x in leaked), "bytes of /etc/passwd were sent to the browser"
        expect(report).to_contain_text("not shown")  # the passwd and fake figures, as a warning
    finally:
        s.close()
