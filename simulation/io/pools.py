"""Process pools for runs in parallel: forked workers where that is safe, spawned otherwise.

A spawned worker starts a new Python and imports the model again (about 0.5-1 s per
worker on the machines we measure), which a short sweep cannot win back. A forked worker
starts in milliseconds with everything the parent has imported and prepared. Forking is
unsafe when another Python thread might hold a lock at that moment, so it is used only on
Linux while this process runs a single Python thread (the CLI's case); a server or
notebook with threads, and macOS, get spawned workers. Native helper threads (OpenBLAS, Arrow's allocator)
have fork handlers of their own. Results never depend on the start method: every run
depends only on its index and seed.

The environment variable ``EGOV_SIM_START_METHOD`` (``fork``, ``forkserver`` or ``spawn``,
as this platform allows) overrides the choice.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .errors import ScenarioError

START_ENV = "EGOV_SIM_START_METHOD"


def start_method() -> str:
    """``fork`` on Linux while only one Python thread runs; else ``spawn`` (or what
    ``EGOV_SIM_START_METHOD`` says). Not on macOS: its system libraries start native
    threads that no thread count sees (why CPython spawns there by default)."""
    allowed = multiprocessing.get_all_start_methods()
    choice = os.environ.get(START_ENV, "").strip()
    if choice:
        if choice not in allowed:
            raise ScenarioError(
                f"environment variable {START_ENV}={choice!r}: not a start method on this "
                f"platform; allowed: {', '.join(allowed)}"
            )
        return choice
    if sys.platform.startswith("linux") and "fork" in allowed and threading.active_count() == 1:
        return "fork"
    return "spawn"


def process_pool(
    workers: int, *, initializer: Callable[..., Any] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes. Forked workers are all started here, before the
    caller starts any thread (a progress bar's monitor, a local compute thread)."""
    method = start_method()
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=initializer, initargs=initargs
    )
    if method == "fork":
        # Unflushed output would be written again by every child as it exits.
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            with warnings.catch_warnings():
                # Python warns about any native thread; ours have fork handlers (see above).
                warnings.simplefilter("ignore", DeprecationWarning)
                pool.submit(int)  # a pool that forks starts all its workers at the first task
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # workers already forked must not linger
            raise
    return pool
