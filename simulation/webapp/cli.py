"""``egov-sim serve``: start the browser app, offline, on localhost by default."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from .results import RESULTS_ROOT_ENV, default_results_dir

#: Where the ``solara-assets`` package puts Solara's front-end files (JS, CSS, fonts).
ASSETS_DIR = Path(sys.prefix) / "share" / "solara" / "cdn"

#: Where a missing front-end file would be fetched from. Pointing it at a closed local
#: port makes a missing asset fail fast instead of the server calling a CDN: the app must
#: work on closed government networks, and a silent call out would hide a packaging bug.
NO_CDN = "http://127.0.0.1:9/egov-sim-offline/"


def server_environment(
    base: dict[str, str] | None = None, results_root: Path | None = None
) -> dict[str, str]:
    """Environment for the Solara server: no telemetry, no CDN, assets from the venv."""
    env = dict(os.environ if base is None else base)
    if results_root is not None:
        env[RESULTS_ROOT_ENV] = str(results_root)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # The "This website runs on Solara" banner sits over the page's bottom-right corner.
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # A closed tab's session (its models) is dropped after 5 minutes, not Solara's 24 hours.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "5m")
    env.setdefault("SOLARA_ASSETS_PROXY", "True")
    env.setdefault("SOLARA_ASSETS_PROXY_CACHE_DIR", str(ASSETS_DIR))
    env.setdefault("SOLARA_ASSETS_CDN", NO_CDN)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def server_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "simulation.webapp.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--no-open",
        "--log-level",
        "warning",
    ]


def url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def check_port(host: str, port: int) -> None:
    """Fail with a clear message (not a server traceback) if ``host:port`` cannot be bound."""
    from ..io.scenario_io import ScenarioError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ScenarioError(f"--host {host}: cannot resolve ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise ScenarioError(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); choose another with --port"
            ) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from ..io.scenario_io import ScenarioError

    if not 0 < args.port < 65536:
        raise ScenarioError(f"--port: must be between 1 and 65535, got {args.port}")
    import importlib.util

    if importlib.util.find_spec("solara") is None:  # packaging: the app is an extra
        raise ScenarioError("serve: the browser app needs the [app] extra: pip install 'egov-sim[app]'")
    if not (ASSETS_DIR / "requirejs@2.3.6").exists():
        raise ScenarioError(
            f"{ASSETS_DIR}: Solara's front-end files are missing; install them with "
            "`pip install -c requirements/constraints.txt solara-assets` (bash scripts/setup.sh does)"
        )
    root = (
        Path(args.results_root).expanduser().resolve()
        if args.results_root
        else default_results_dir().resolve()
    )
    if args.results_root and not root.is_dir():
        raise ScenarioError(f"--results-root {args.results_root}: no such folder")
    check_port(args.host, args.port)
    print(f"egov-sim app: {url(args.host, args.port)}  (offline; Ctrl-C stops it)", flush=True)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        print(f"egov-sim app: listening on {args.host}: reachable from other machines", file=sys.stderr)
    # exec: Ctrl-C and SIGTERM reach the server directly, and the pid stays the same.
    os.execve(sys.executable, server_command(args.host, args.port), server_environment(results_root=root))
    return 0  # not reached


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="start the browser app (offline, localhost by default)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument(
        "--results-root",
        metavar="DIR",
        help="the Results page shows sweeps under this folder only (default ./results)",
    )
    p.set_defaults(func=cmd_serve)
