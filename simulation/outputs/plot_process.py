"""The plotting helper process of ``egov-sim run`` (a light module: no numpy, no Mesa).

Started as the first thing ``run`` does, so that the helper's Python start, matplotlib
import and warm-up (``plotting._worker``) overlap the parent's own imports, the
configuration and the model on the second core.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


class Plotter:
    """A plotting process started ahead of the run (see ``plotting._worker``)."""

    def __init__(self) -> None:
        # The script's path, not an import: the parent must not pay for matplotlib.
        script = Path(__file__).with_name("plotting.py")
        self.used = False
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def plot(self, csv: Path, title: str, out: Path) -> None:
        """Draw ``out`` from the time series in ``csv``; returns when the file is written."""
        self.submit(csv, title, out)
        self.wait()

    def submit(self, csv: Path, title: str, out: Path) -> None:
        """Start drawing (the caller writes its other files meanwhile); then :meth:`wait`."""
        self.used = True
        job = json.dumps({"csv": str(csv), "title": title, "out": str(out)})
        self.proc.stdin.write(job + "\n")
        self.proc.stdin.flush()

    def wait(self) -> None:
        """Block until the figure of the last :meth:`submit` is written."""
        if self.proc.stdout.readline().strip() != "done":
            err = self.proc.stderr.read()
            raise RuntimeError(f"plotting process failed: {err.strip().splitlines()[-1:]}")

    def close(self) -> None:
        """Close the job stream and reap the process, so none is left behind (its figures
        are complete: ``plot`` returned only after it said ``done``). A process that never
        got a job (the run failed before its figure) is stopped."""
        if self.proc.stdin.closed:
            return
        if not self.used and self.proc.poll() is None:
            self.proc.kill()
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a wedged helper must not hang the command
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
