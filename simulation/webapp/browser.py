"""Flags for driving Debian's chromium headless and offline (browser tests, benchmarks).

Without the background-networking flags chromium keeps trying to reach Google's hosts,
which this project's machines (and closed government networks) refuse.
"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
