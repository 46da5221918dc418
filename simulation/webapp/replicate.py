"""Replications in the background for the browser app: one configuration, or a compare pair A/B.

Pure Python (no Solara, no UI): the app constructs a :class:`Replications`, calls
:meth:`Replications.start` and polls :attr:`~Replications.progress` / :meth:`~Replications.summary`
(or refreshes from ``on_progress``).

Seeds are those of ``egov-sim compare``: replication ``i`` runs with
``simulation.runs.seeds.replication_seeds(seed, n)[i]``, and A and B use the same seed in each
replication (common random numbers, so they are compared as pairs). Runs go in the order of
:func:`simulation.runs.compare.compare` (replication 0: A, B; replication 1: A, B; ...), one at a
time in one daemon thread, so a replication is complete as soon as its B run has finished and
the KPI table of ``summary()`` equals ``compare(...).table`` for the same master seed and n.

The bands of ``summary()`` are the 95 % confidence interval of the *mean curve* (t interval
over replications, month by month, as :func:`simulation.runs.stats.mean_ci`), not the spread of
single runs: with more replications they narrow even though runs stay as varied as before.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import RELATIONS, ScenarioConfig
from ..outputs.kpis import KPI_INFO
from ..outputs.scorecard import CELLS, PERSPECTIVES
from ..runs.runner import run
from ..runs.seeds import replication_seeds
from ..runs.stats import censor, is_time_to_event, mean_ci, reached

log = logging.getLogger(__name__)

#: Time-series columns summarised as bands (all are in :data:`simulation.model.SERIES`).
BAND_SERIES = (
    "adoption",
    "service_quality",
    "integration",
    "links",
    "mean_trust",
    "mean_resistance",
    "cumulative_cost",
    "legitimacy",
)
MIN_REPLICATIONS = 2
#: The app's parameter-ensemble choices: seeds only, posterior draws, prior draws.
ENSEMBLES = ("none", "posterior", "prior")
MAX_REPLICATIONS = 200
LEVEL = 0.95
TOO_FEW_REPLICATIONS = "too few replications"


@dataclass(frozen=True)
class _Run:
    """What the summary needs of one finished run (not the whole RunResult)."""

    seed: int
    kpis: dict[str, Any]
    cells: dict[str, float]  # sc.<perspective>.<relation> -> value
    series: dict[str, np.ndarray]  # BAND_SERIES, padded to months + 1


def _pad(values: Sequence[Any], length: int) -> np.ndarray:
    """``values`` as floats, cut or padded with the last value to ``length`` (a run that
    stopped early stays at its final state)."""
    arr = np.asarray(values, dtype=float)[:length]
    if 0 < arr.size < length:
        arr = np.concatenate([arr, np.full(length - arr.size, arr[-1])])
    elif arr.size == 0:
        arr = np.full(length, np.nan)
    return arr


def _plain(value: Any) -> Any:
    """JSON-ready scalar: numpy -> Python, NaN/inf -> None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def band(arr: np.ndarray, level: float = LEVEL) -> dict[str, list[float | None]]:
    """Per column of ``arr`` (runs x months): mean and t interval of the mean, like
    :func:`simulation.runs.stats.mean_ci` column by column (NaN dropped; no interval below 2 runs)."""
    from scipy import stats

    arr = np.asarray(arr, dtype=float)
    finite = np.isfinite(arr)
    count = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(finite, arr, 0.0).sum(axis=0)
        mean = total / count
        dev = np.where(finite, arr - mean, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (count - 1))
        half = stats.t.ppf(0.5 + level / 2, count - 1) * sd / np.sqrt(count)
    half = np.where(count >= 2, half, np.nan)
    mean = np.where(count >= 1, mean, np.nan)

    def out(a: np.ndarray) -> list[float | None]:
        return [float(x) if math.isfinite(x) else None for x in a]

    return {"mean": out(mean), "low": out(mean - half), "high": out(mean + half)}


class Replications:
    """``n`` replications of one configuration, or of a compare pair A/B, run in a daemon thread.

    ``seed`` is the master seed (None: the first configuration's ``[run] seed``, as
    ``egov-sim compare`` without ``--seed``). ``on_progress(done, total)`` is called from the
    worker thread after each finished run, and once more if the thread stops early (cancel or
    error); in the last call :attr:`done` is already True. Exceptions it raises are logged and
    ignored (the runs go on).
    """

    def __init__(
        self,
        configs: Sequence[ScenarioConfig],
        labels: Sequence[str],
        seed: int | None,
        n: int,
        on_progress: Callable[[int, int], None] | None = None,
        ensemble: str | None = None,
        pinned: Sequence[str] = (),
    ):
        configs, labels = list(configs), [str(x) for x in labels]
        if len(configs) not in (1, 2):
            raise ValueError(f"one or two configurations (A, or A and B), got {len(configs)}")
        if len(labels) != len(configs):
            raise ValueError(
                f"one label per configuration: {len(configs)} configurations, {len(labels)} labels"
            )
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels must differ, got {labels}")
        if not all(isinstance(c, ScenarioConfig) for c in configs):
            raise ValueError("configurations must be validated ScenarioConfig objects (see load_scenario)")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise ValueError(f"number of replications must be a whole number, got {n!r}")
        if not MIN_REPLICATIONS <= n <= MAX_REPLICATIONS:
            raise ValueError(
                f"number of replications must be between {MIN_REPLICATIONS} and {MAX_REPLICATIONS}, got {n}"
            )
        self.configs = configs
        self.labels = labels
        self.n = int(n)
        self.seed = int(configs[0].run.seed if seed is None else seed)
        self.seeds = replication_seeds(self.seed, self.n)
        # Parameter ensemble (issue 19): replication i also runs with draw i, the same draw for A
        # and B (common parameters), so the intervals cover parameter and seed uncertainty.
        self.ensemble = ensemble if ensemble in ENSEMBLES[1:] else None
        if ensemble is not None and self.ensemble is None:
            raise ValueError(
                f"parameter ensemble must be one of {', '.join(ENSEMBLES[1:])} or None, got {ensemble!r}"
            )
        if self.ensemble:
            from ..runs.ensemble import EnsembleSpec, configure, make_draws

            draws = make_draws(EnsembleSpec(self.ensemble, self.n), self.seed)
            self.run_configs = [
                [configure(c, d, pinned, f"ensemble draw {i}") for i, d in enumerate(draws)] for c in configs
            ]
        else:
            self.run_configs = [[c] * self.n for c in configs]
        self.on_progress = on_progress
        # The order of compare.compare: replication by replication, A then B.
        self._jobs = [(i, k) for i in range(self.n) for k in range(len(configs))]
        self._runs: list[list[_Run | None]] = [[None] * self.n for _ in configs]
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._done_runs = 0
        self._finished = False
        self._error: str | None = None
        self._cached: tuple[tuple, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Start the runs in a daemon thread (once)."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("replications already started")
            self._thread = threading.Thread(target=self._work, name="egov-replications", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop after the run under way (the finished runs stay in :meth:`summary`)."""
        self._cancel.set()
        with self._lock:
            if self._thread is None:
                self._finished = True

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to stop; True when it has (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # ------------------------------------------------------------------ state
    @property
    def total(self) -> int:
        return len(self._jobs)

    @property
    def progress(self) -> tuple[int, int]:
        """(runs finished, runs in all)."""
        with self._lock:
            return self._done_runs, len(self._jobs)

    @property
    def done(self) -> bool:
        """True once the thread has stopped: all runs finished, cancelled, or a run failed."""
        with self._lock:
            return self._finished

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def error(self) -> str | None:
        """Which run failed and the exception's text, or None."""
        with self._lock:
            return self._error

    @property
    def complete(self) -> int:
        """Replications whose runs (A and B in compare mode) have all finished."""
        with self._lock:
            return self._complete_locked()

    def _complete_locked(self) -> int:
        return sum(all(runs[i] is not None for runs in self._runs) for i in range(self.n))

    # ------------------------------------------------------------------ worker
    def _work(self) -> None:
        try:
            # Imported here, off the UI thread, so the first summary() does not pay for them.
            import scipy.stats  # noqa: F401

            from ..runs import compare  # noqa: F401

            for job, (i, k) in enumerate(self._jobs):
                if self._cancel.is_set():
                    break
                config, seed = self.run_configs[k][i], self.seeds[i]
                try:
                    result = run(config, seed=seed)
                    months = config.run.months + 1
                    record = _Run(
                        seed=result.seed,
                        kpis=dict(result.kpis),
                        cells=result.cells(),
                        series={v: _pad(result.series[v], months) for v in BAND_SERIES},
                    )
                except Exception as exc:  # reported to the app, not raised in the thread
                    log.exception("replication run failed")
                    with self._lock:
                        self._error = f"{self.labels[k]}, replication {i + 1} (seed {seed}): {type(exc).__name__}: {exc}"
                    break
                with self._lock:
                    self._runs[k][i] = record
                    self._done_runs += 1
                    if job == len(self._jobs) - 1:
                        self._finished = True
                self._notify()
        finally:
            with self._lock:
                early = not self._finished
                self._finished = True
            if early:
                self._notify()

    def _notify(self) -> None:
        if self.on_progress is None:
            return
        done, total = self.progress
        try:
            self.on_progress(done, total)
        except Exception:
            log.exception("on_progress callback failed")

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict[str, Any]:
        """Bands and KPI rows of the complete replications finished so far.

        ``{"n", "labels", "months", "bands", "kpis", "scorecard", "note"}``:

        - ``n``: complete replications (compare: pairs with both A and B finished);
        - ``months``: ``{label: months}``; each band list has ``months + 1`` values (month 0..months);
        - ``bands``: ``{label: {series: {"mean", "low", "high"}}}`` for :data:`BAND_SERIES`: mean
          curve and the 95 % t confidence interval *of the mean* per month (not the spread of
          runs); None where undefined (no interval below 2 replications);
        - ``kpis``: compare: the rows of :func:`simulation.runs.compare.kpi_table` (A and B means,
          paired B - A with 95 % CI, ``p_paired``, ``n_pairs``, reached counts and the
          difference among reached pairs for time-to-event KPIs); single: per KPI ``mean``,
          ``ci_low``, ``ci_high``, ``n`` and ``reached`` (time-to-event KPIs), censored as
          :mod:`simulation.runs.stats` (never = horizon + 1: restricted mean);
        - ``scorecard``: compare: rows of :func:`simulation.runs.compare.scorecard_table`; single:
          per cell mean with its 95 % CI;
        - ``note``: one line on n and what the intervals mean.

        Plain Python values; NaN becomes None. The same dict is returned until another run
        finishes (or the state changes): treat it as read-only.
        """
        with self._lock:
            n = self._complete_locked()
            runs = [list(per[:n]) for per in self._runs]
            error, done_runs = self._error, self._done_runs
            key = (n, done_runs, error, self.cancelled)
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
        months = {label: c.run.months for label, c in zip(self.labels, self.configs, strict=True)}
        bands: dict[str, dict[str, dict[str, list[float | None]]]] = {}
        for label, per, config in zip(self.labels, runs, self.configs, strict=True):
            length = config.run.months + 1
            bands[label] = {
                v: band(np.vstack([r.series[v] for r in per]) if per else np.full((0, length), np.nan))
                for v in BAND_SERIES
            }
        if n == 0:
            kpis: list[dict[str, Any]] = []
            scorecard: list[dict[str, Any]] = []
        elif len(self.configs) == 2:
            kpis, scorecard = self._compare_rows(runs)
        else:
            kpis, scorecard = self._single_rows(runs[0], self.configs[0].run.months)
        out = {
            "n": n,
            "labels": list(self.labels),
            "months": months,
            "bands": bands,
            "kpis": kpis,
            "scorecard": scorecard,
            "note": self._note(n, done_runs, error),
        }
        with self._lock:
            self._cached = (key, out)
        return out

    def frame(self):
        """The complete replications finished so far as ``compare``'s ``Comparison.kpis`` frame:
        one row per (label, replication) with seed, KPIs and scorecard cells ``sc.<p>.<r>``."""
        with self._lock:
            n = self._complete_locked()
            runs = [list(per[:n]) for per in self._runs]
        return self._frame(runs)

    def _frame(self, runs: list[list[_Run]]):
        import pandas as pd

        # Rows in compare.compare's order and shape, so its tables come out identical.
        return pd.DataFrame(
            [
                {"label": label, "replication": i, "seed": per[i].seed, **per[i].kpis, **per[i].cells}
                for i in range(len(runs[0]))
                for label, per in zip(self.labels, runs, strict=True)
            ]
        )

    def _compare_rows(self, runs: list[list[_Run]]) -> tuple[list[dict], list[dict]]:
        from ..runs.compare import kpi_table, scorecard_table

        labels = (self.labels[0], self.labels[1])
        frame = self._frame(runs)
        horizons = (self.configs[0].run.months, self.configs[1].run.months)
        return _records(kpi_table(frame, labels, horizons)), _records(scorecard_table(frame, labels))

    @staticmethod
    def _single_rows(per: list[_Run], months: int) -> tuple[list[dict], list[dict]]:
        kpis = []
        for kpi, (unit, _) in KPI_INFO.items():
            raw = [r.kpis.get(kpi) for r in per]
            v = censor(kpi, raw, months)
            m, lo, hi = mean_ci(v, LEVEL)
            timed = is_time_to_event(kpi)
            kpis.append(
                {
                    "kpi": kpi,
                    "unit": "months (restricted mean; never = horizon + 1)" if timed else unit,
                    "mean": _plain(m),
                    "ci_low": _plain(lo),
                    "ci_high": _plain(hi),
                    "n": int(np.isfinite(v).sum()),
                    "reached": int(reached(raw).sum()) if timed else None,
                }
            )
        scorecard = []
        for p in PERSPECTIVES:
            for r in RELATIONS:
                cell = CELLS[p][r]
                m, lo, hi = mean_ci(np.array([x.cells[f"sc.{p}.{r}"] for x in per]), LEVEL)
                scorecard.append(
                    {
                        "perspective": p,
                        "relation": r,
                        "indicator": cell.indicator,
                        "unit": cell.unit,
                        "direction": f"{cell.direction} is better",
                        "mean": _plain(m),
                        "ci_low": _plain(lo),
                        "ci_high": _plain(hi),
                        "n": len(per),
                    }
                )
        return kpis, scorecard

    def _note(self, n: int, done_runs: int, error: str | None) -> str:
        pair = len(self.configs) == 2
        unit = "pairs A/B with common random numbers" if pair else "replications"
        parts = [f"n = {n} of {self.n} {unit} complete."]
        if n < MIN_REPLICATIONS:
            parts.append(f"{TOO_FEW_REPLICATIONS} for an interval (n < {MIN_REPLICATIONS}).")
        else:
            what = "paired B - A and the mean curves" if pair else "the means and the mean curves"
            parts.append(
                f"Intervals and bands: {LEVEL * 100:.0f} % t confidence interval of {what} over the "
                "replications, not the spread of single runs."
            )
        parts.append("Months to an event: never within the horizon counts as horizon + 1 (restricted mean).")
        if self.ensemble:
            parts.append(
                f"Parameter ensemble: replication i also has {self.ensemble} draw i (the same for A and B; the "
                "app's controls are not drawn), so the intervals combine parameter and seed uncertainty."
            )
        if error:
            parts.append(f"Stopped: a run failed ({error}).")
        elif self.cancelled and n < self.n:
            parts.append(f"Cancelled after {done_runs} of {self.total} runs.")
        return " ".join(parts)
