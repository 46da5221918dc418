"""Solara's front-end files (``/_solara/cdn/...``), served read-only from the installed
``solara-assets`` package.

Solara's own handler treats its folder as a download cache: a GET for a path that is a
folder *deletes* that folder (``cdn_helper.get_path`` calls ``shutil.rmtree`` on it, to
clean up an old cache layout) and a GET for a missing file fetches it from the CDN and
writes it there. One unauthenticated request could so remove the app bundle for every
user. Here the folder is only read: a file is sent as it is, a folder or a missing file is
a 404, nothing is fetched, written or removed; requests other than GET/HEAD get a 405.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .cli import ASSETS_DIR

CDN_PATH = "/_solara/cdn"
#: An exact npm version in the path (``pkg@1.2.3/``): npm never changes what it names.
_EXACT_VERSION = re.compile(r"@\d+\.\d+\.\d+(?:[-+][\w.]+)?/")


class ReadOnlyAssets(StaticFiles):
    """Files below ``directory`` only (symlinks resolved and kept inside); never writes."""

    def __init__(self, directory: Path = ASSETS_DIR) -> None:
        super().__init__(directory=directory, html=False, check_dir=False, follow_symlink=False)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        # Solara asks for a bare package name (``requirejs@2.3.6``) and stores it as
        # ``<name>/__main.js``; the same mapping, read-only.
        parts = [p for p in path.replace("\\", "/").split("/") if p]
        if len(parts) == 1:
            path = f"{parts[0]}/__main.js"
        full, st = super().lookup_path(path)
        if st is None or not stat.S_ISREG(st.st_mode):
            return "", None
        return full, st

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except PermissionError:
            raise HTTPException(status_code=404) from None
        if response.status_code in (200, 304) and _EXACT_VERSION.search(path):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def protect_cdn(app=None) -> bool:
    """Replace Solara's ``/_solara/cdn`` handler in its Starlette app by :class:`ReadOnlyAssets`.

    Called when the app module is imported, which Solara does at server start-up, before
    it answers any request. Returns True if a handler was replaced (or was already ours).
    """
    if app is None:
        from solara.server.starlette import app
    routes = app.router.routes
    for i, route in enumerate(routes):
        if isinstance(route, Mount) and route.path == CDN_PATH:
            if not isinstance(route.app, ReadOnlyAssets):
                routes[i] = Mount(CDN_PATH, app=ReadOnlyAssets())
            return True
    # Solara did not mount one (assets proxy off): still serve ours, ahead of the catch-all.
    routes.insert(0, Mount(CDN_PATH, app=ReadOnlyAssets()))
    return True
