"""Simulation-based calibration of the full model's adoption to the Dutch series (issue 8.4).

:mod:`.calibrate` fits a Bass *curve* to the Dutch series; this module fits the *model*:
``citizens.p`` and ``citizens.q`` (per month) of :func:`simulation.runs.runner.run` on a whole
scenario (negotiation, integration, service quality and citizen adoption on the network),
so that the model's adoption at the data years matches the series. Every choice below is
an assumption of this calibration and is repeated in docs/VALIDATION.md.

Data. The rows :func:`.calibrate.fitted_rows` selects: Netherlands, "interacted with public
authorities online (last 12 months)", 2011–2020 (four points; 16–74 and 16–75 treated as
one population). Rows after the 2021 redefinition are plotted, not fitted.

Calendar. Month 0 of the model is January of ``start_year`` (default 2002: the end of the
Overheidsloket 2000 pilots, when municipal virtual counters of this kind were rolled out).
A survey year Y is read at model month ``12 (Y - start_year) + 6`` (mid-year: fieldwork of
the ICT-usage surveys is in the second quarter and asks about the preceding 12 months).
The model's trajectories do not depend on the start year, so one set of runs serves every
start year; the fit is repeated (own refinement grid) for the sensitivity start years
(default 1999 and 2004).

Model runs. The chosen scenario (default the shipped ``municipality_building_housing``)
with ``citizens.count`` = 2,000 (its network kept) and only ``citizens.p``, ``citizens.q``
changed; months enough to cover the earliest start year to the last data year. Each
(p, q) grid point runs the same replication seeds (common random numbers, from the
master ``--seed`` through :func:`simulation.runs.seeds.replication_seeds`), through the process
pool of :mod:`.runs`; results do not depend on the number of workers.

Search. Stage 1: a coarse log-spaced grid (default 8 × 8, p in [1e-4, 0.3], q in
[1e-3, 1] per month, 4 replications). Stage 2, for each start year: a log grid over
the bounding box of the stage-1 region whose deviance is within 13.8 (χ²₂ at 0.999) of
its minimum, padded by half a coarse step (default 9 × 9 with 10 replications for the
main start year, 7 × 7 with 6 for the sensitivity years; ``--quick``: 300 citizens, 4 × 4
coarse with 2, 4 × 4 with 3, 3 × 3 with 2). Replication means and standard deviations at the data
years are interpolated over (log p, log q) by bicubic splines (an emulator: with common
random numbers they are smooth in the parameters) and the likelihood is evaluated on a
161 × 161 mesh of the stage-2 box.

Likelihood (Gaussian synthetic likelihood, Wood 2010). The Dutch values y (one per data
year) are taken as one realisation of the model plus observation error:
``y ~ N(mu(p, q), Sigma)``, ``Sigma = D_obs + (1 + 1/R) S C S`` with mu and S the
replication mean and sd at the data years, C their correlation across years (pooled over
the stage-2 grid points: a run that is early is early at every year), R the replications
per point (1/R: Monte Carlo error of the mean) and ``D_obs`` diagonal with
``y (1 - y) / n_survey + sd_def²``: binomial sampling error of a survey of
n_survey = 3,000 respondents (assumed typical of the national ICT-usage surveys) plus a
definition error sd_def = 0.02 (CBS press figures vs Eurostat tables, age bounds 16–74
vs 16–75). Sensitivity without process noise ("national average": the national share as
the mean over many municipalities, ``Sigma = D_obs + S C S / R``) is reported from the
same runs.

Uncertainty. The maximum-likelihood point on the mesh; 95 % profile-likelihood intervals
for p and for q (maximise over the other parameter; keep values whose deviance
2 (l_max - l_profile) ≤ 3.84 = χ²₁ at 0.95; ends interpolated linearly). The likelihood
can be bimodal (an innovation-driven mode with large p and small q, an imitation-driven
one with small p and large q): the 95 % set is then a union of segments, all reported;
the interval quoted is their hull. An interval that reaches the edge of the stage-2 box
is reported as open at that end. Goodness of fit: the
minimum deviance -2 l against N(mu, Sigma) (four points, two fitted parameters). Finally
the ML point is run with R replications on fresh seeds (derived from the master seed, not
those of the grid): the mean curve and its 2.5–97.5 % replication band, and an independent
check of the emulator at the data years.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import RectBivariateSpline

from ..config import ScenarioConfig
from ..io.scenario_io import ScenarioError, load_scenario
from ..runs.seeds import derive_seed, replication_seeds
from .runs import BASE, Job, Pool, scenario

START_YEAR = 2002


SENSITIVITY = (-3, 2)  # offsets of the sensitivity start years (1999, 2004 for 2002)


MIN_START = 1990


SURVEY_OFFSET = 6  # months after January of the survey year


N_SURVEY = 3000


SD_DEFINITION = 0.02


CHI2_1_95 = 3.841458820694124  # scipy.stats.chi2.ppf(0.95, 1)


CHI2_2_95 = 5.991464547107979  # scipy.stats.chi2.ppf(0.95, 2)


CHI2_2_999 = 13.815510557964274  # scipy.stats.chi2.ppf(0.999, 2)


REPORT_YEARS = (9, 18, 22)  # years after the start year printed in the terminal


MESH = 161


@dataclass(frozen=True)
class Settings:
    """Sizes of the search (``quick`` shrinks them for tests and smoke runs)."""

    scenario: str = BASE
    start_year: int = START_YEAR
    citizens: int = 2000
    p_range: tuple[float, float] = (1e-4, 0.3)
    q_range: tuple[float, float] = (1e-3, 1.0)
    coarse: int = 8
    coarse_reps: int = 4
    fine: int = 9
    reps: int = 10
    sens_fine: int = 7
    sens_reps: int = 6
    seed: int = 0
    n_survey: int = N_SURVEY
    sd_definition: float = SD_DEFINITION
    sensitivity: bool = True

    @classmethod
    def quick_settings(cls, **kw: Any) -> Settings:
        base = dict(citizens=300, coarse=4, coarse_reps=2, fine=4, reps=3, sens_fine=3, sens_reps=2)
        base.update(kw)
        return cls(**base)


def check_start_year(start_year: Any, first_data_year: int) -> int:
    """The start year as an int, or a clear error naming the allowed range."""
    hi = first_data_year - 1
    if isinstance(start_year, bool) or not isinstance(start_year, int | np.integer):
        raise ScenarioError(f"--start-year: expected an integer year {MIN_START}..{hi}, got {start_year!r}")
    if not MIN_START <= start_year <= hi:
        raise ScenarioError(
            f"--start-year: must be between {MIN_START} and {hi} (before the first fitted data year "
            f"{first_data_year}), got {start_year}"
        )
    return int(start_year)


def data_months(years: Sequence[float], start_year: int) -> np.ndarray:
    """Model month at which survey year Y is read: ``12 (Y - start) + SURVEY_OFFSET``."""
    return (12 * (np.asarray(years, float) - start_year) + SURVEY_OFFSET).astype(int)


def base_config(settings: Settings, months: int) -> ScenarioConfig:
    """The scenario with the calibration's population size and run length."""
    cfg = load_scenario(settings.scenario)
    return scenario(
        {"run.months": months},
        base=settings.scenario,
        citizens=settings.citizens,
        network=cfg.citizens.network,
    )


def with_pq(cfg: ScenarioConfig, p: float, q: float) -> ScenarioConfig:
    cit = cfg.citizens.model_copy(update={"p": float(p), "q": float(q)})
    return cfg.model_copy(update={"citizens": cit})


def simulate(
    cfg: ScenarioConfig,
    points: Sequence[tuple[float, float]],
    seeds: Sequence[int],
    pool: Pool,
    progress: Callable[[str], None] | None = None,
    label: str = "",
) -> np.ndarray:
    """Adoption series, shape (points, replications, months + 1), same seeds at every point."""
    out = []
    batch = max(1, 64 // max(1, len(seeds)))
    t0 = time.perf_counter()
    for i in range(0, len(points), batch):
        chunk = points[i : i + batch]
        jobs = [Job(with_pq(cfg, p, q), s) for p, q in chunk for s in seeds]
        res = pool.map(jobs)
        out += [np.asarray(o["series"]["adoption"], float) for o in res]
        if progress:
            done = min(len(points), i + batch)
            progress(
                f"calibrate: {label} {done}/{len(points)} points x {len(seeds)} replications "
                f"({time.perf_counter() - t0:.0f} s)"
            )
    return np.array(out).reshape(len(points), len(seeds), -1)


def log_grid(lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(np.linspace(math.log(lo), math.log(hi), n))


@dataclass
class Surface:
    """Log-likelihood on a (log p, log q) mesh from a simulated grid (the emulator)."""

    lp: np.ndarray  # log p of the simulated grid
    lq: np.ndarray
    mean: np.ndarray  # (np, nq, years)
    sd: np.ndarray
    corr: np.ndarray  # (years, years)
    reps: int
    mesh_lp: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    mesh_lq: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    @classmethod
    def from_runs(cls, ps: np.ndarray, qs: np.ndarray, values: np.ndarray) -> Surface:
        """``values`` shape (np*nq, R, years): adoption at the data months."""
        n_p, n_q = ps.size, qs.size
        reps, years = values.shape[1], values.shape[2]
        mean = values.mean(axis=1)
        sd = values.std(axis=1, ddof=1) if reps > 1 else np.zeros_like(mean)
        resid = (values - mean[:, None, :]).reshape(-1, years)
        cov = resid.T @ resid
        d = np.sqrt(np.maximum(np.diag(cov), 1e-300))
        corr = np.clip(cov / np.outer(d, d), -1.0, 1.0)
        corr[~np.isfinite(corr)] = 0.0
        np.fill_diagonal(corr, 1.0)
        return cls(
            np.log(ps),
            np.log(qs),
            mean.reshape(n_p, n_q, years),
            sd.reshape(n_p, n_q, years),
            corr,
            reps,
        )

    def emulate(self, mesh: int = MESH) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean and sd at the data years on a ``mesh`` x ``mesh`` grid (bicubic splines)."""
        lp = np.linspace(self.lp[0], self.lp[-1], mesh)
        lq = np.linspace(self.lq[0], self.lq[-1], mesh)
        kx, ky = min(3, self.lp.size - 1), min(3, self.lq.size - 1)
        years = self.mean.shape[2]
        mu = np.empty((mesh, mesh, years))
        sd = np.empty((mesh, mesh, years))
        for j in range(years):
            mu[:, :, j] = RectBivariateSpline(self.lp, self.lq, self.mean[:, :, j], kx=kx, ky=ky)(lp, lq)
            sd[:, :, j] = RectBivariateSpline(self.lp, self.lq, self.sd[:, :, j], kx=kx, ky=ky)(lp, lq)
        self.mesh_lp, self.mesh_lq = lp, lq
        return lp, lq, np.clip(mu, 0.0, 1.0), np.maximum(sd, 0.0)

    def misfit(
        self, y: np.ndarray, obs_var: np.ndarray, mu: np.ndarray, sd: np.ndarray, *, process: bool = True
    ) -> dict[str, float]:
        """Goodness of fit at one point: Mahalanobis χ² of the residuals, df = years - 2."""
        from scipy.stats import chi2

        factor = (1.0 + 1.0 / self.reps) if process else 1.0 / self.reps
        cov = factor * np.outer(sd, sd) * self.corr + np.diag(obs_var)
        r = y - mu
        stat = float(r @ np.linalg.solve(cov, r))
        df = max(1, y.size - 2)
        return {"chi2": stat, "df": df, "p_value": float(chi2.sf(stat, df))}

    def loglik(self, y: np.ndarray, obs_var: np.ndarray, *, process: bool = True) -> np.ndarray:
        """Gaussian synthetic log-likelihood of ``y`` on the mesh (see module docstring)."""
        _, _, mu, sd = self.emulate()
        factor = (1.0 + 1.0 / self.reps) if process else 1.0 / self.reps
        cov = factor * sd[..., :, None] * sd[..., None, :] * self.corr
        cov = cov + np.diag(obs_var)
        resid = y - mu
        sign, logdet = np.linalg.slogdet(cov)
        sol = np.linalg.solve(cov, resid[..., None])[..., 0]
        quad = np.einsum("...j,...j->...", resid, sol)
        return -0.5 * (quad + logdet + y.size * math.log(2.0 * math.pi))


def profile_segments(
    grid: np.ndarray, prof: np.ndarray, lmax: float, threshold: float = CHI2_1_95
) -> list[tuple[float, float, bool, bool]]:
    """Every run of ``grid`` (log units) whose profile deviance is ≤ ``threshold``:
    (lo, hi, open at lo, open at hi), ends interpolated linearly. More than one run means
    a multimodal likelihood; the 95 % set is their union."""
    dev = 2.0 * (lmax - prof)
    ok = dev <= threshold

    def cross(a: int, b: int) -> float:
        da, db = dev[a] - threshold, dev[b] - threshold
        w = da / (da - db) if da != db else 0.5
        return float(grid[a] + w * (grid[b] - grid[a]))

    out = []
    i = 0
    n = grid.size
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and ok[j + 1]:
            j += 1
        lo = cross(i - 1, i) if i > 0 else float(grid[0])
        hi = cross(j, j + 1) if j < n - 1 else float(grid[-1])
        out.append((lo, hi, i == 0, j == n - 1))
        i = j + 1
    return out


def profile_interval(
    grid: np.ndarray, prof: np.ndarray, lmax: float, threshold: float = CHI2_1_95
) -> tuple[float, float, bool, bool]:
    """Hull of :func:`profile_segments`: (lo, hi, open at lo, open at hi)."""
    seg = profile_segments(grid, prof, lmax, threshold)
    return seg[0][0], seg[-1][1], seg[0][2], seg[-1][3]


@dataclass
class Fit:
    """Result of one start year's fit."""

    start_year: int
    box: dict[str, tuple[float, float]]
    grid_p: np.ndarray
    grid_q: np.ndarray
    reps: int
    p: float
    q: float
    ci: dict[str, tuple[float, float]]
    open_ends: dict[str, tuple[bool, bool]]
    deviance_min: float
    misfit: dict[str, float]
    segments: dict[str, list[tuple[float, float]]]
    mean_at_data: np.ndarray
    sd_at_data: np.ndarray
    corr: np.ndarray
    national: dict[str, Any]
    mesh_lp: np.ndarray = field(repr=False)
    mesh_lq: np.ndarray = field(repr=False)
    loglik: np.ndarray = field(repr=False)
    profile_p: np.ndarray = field(repr=False)
    profile_q: np.ndarray = field(repr=False)
    at_edge: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_year": self.start_year,
            "box": self.box,
            "grid_p": self.grid_p,
            "grid_q": self.grid_q,
            "replications": self.reps,
            "p": self.p,
            "q": self.q,
            "ci": self.ci,
            "open_ends": self.open_ends,
            "ml_at_box_edge": self.at_edge,
            "deviance_min": self.deviance_min,
            "misfit": self.misfit,
            "segments": self.segments,
            "mean_at_data": self.mean_at_data,
            "sd_at_data": self.sd_at_data,
            "correlation": self.corr,
            "national_average": self.national,
        }


def ml_and_profiles(
    surface: Surface, y: np.ndarray, obs_var: np.ndarray, *, process: bool = True
) -> dict[str, Any]:
    """ML point, profile intervals and the log-likelihood mesh of one surface."""
    ll = surface.loglik(y, obs_var, process=process)
    lp, lq = surface.mesh_lp, surface.mesh_lq
    i, j = np.unravel_index(int(np.argmax(ll)), ll.shape)
    lmax = float(ll[i, j])
    _, _, mu, sd = surface.emulate()
    misfit = surface.misfit(y, obs_var, mu[i, j], sd[i, j], process=process)
    prof_p, prof_q = ll.max(axis=1), ll.max(axis=0)
    p_lo, p_hi, p_open_lo, p_open_hi = profile_interval(lp, prof_p, lmax)
    q_lo, q_hi, q_open_lo, q_open_hi = profile_interval(lq, prof_q, lmax)
    segments = {
        k: [(math.exp(a), math.exp(b)) for a, b, _, _ in profile_segments(g, pr, lmax)]
        for k, g, pr in (("p", lp, prof_p), ("q", lq, prof_q))
    }
    return {
        "p": float(np.exp(lp[i])),
        "q": float(np.exp(lq[j])),
        "ci": {"p": (math.exp(p_lo), math.exp(p_hi)), "q": (math.exp(q_lo), math.exp(q_hi))},
        "open_ends": {"p": (p_open_lo, p_open_hi), "q": (q_open_lo, q_open_hi)},
        "segments": segments,
        "at_edge": bool(i in (0, ll.shape[0] - 1) or j in (0, ll.shape[1] - 1)),
        "deviance_min": -2.0 * lmax,
        "misfit": misfit,
        "loglik": ll,
        "profile_p": prof_p,
        "profile_q": prof_q,
        "mean_at_data": mu[i, j],
        "sd_at_data": sd[i, j],
    }


def observation_variance(y: np.ndarray, n_survey: int, sd_definition: float) -> np.ndarray:
    return y * (1.0 - y) / n_survey + sd_definition**2


def refine_box(
    ps: np.ndarray, qs: np.ndarray, ll: np.ndarray, mesh_lp: np.ndarray, mesh_lq: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Bounding box (p, q) of the coarse region within χ²₂(0.999) of the maximum, padded."""
    dev = 2.0 * (ll.max() - ll)
    ii, jj = np.nonzero(dev <= CHI2_2_999)
    step_p = (math.log(ps[-1]) - math.log(ps[0])) / max(1, ps.size - 1)
    step_q = (math.log(qs[-1]) - math.log(qs[0])) / max(1, qs.size - 1)
    lo_p = max(math.log(ps[0]), mesh_lp[ii.min()] - step_p / 2)
    hi_p = min(math.log(ps[-1]), mesh_lp[ii.max()] + step_p / 2)
    lo_q = max(math.log(qs[0]), mesh_lq[jj.min()] - step_q / 2)
    hi_q = min(math.log(qs[-1]), mesh_lq[jj.max()] + step_q / 2)
    # At least one coarse step wide, inside the search range.
    for name in ("p", "q"):
        lo, hi, step, full = (
            (lo_p, hi_p, step_p, (ps[0], ps[-1])) if name == "p" else (lo_q, hi_q, step_q, (qs[0], qs[-1]))
        )
        if hi - lo < step:
            mid = (lo + hi) / 2
            lo = max(math.log(full[0]), mid - step / 2)
            hi = min(math.log(full[1]), lo + step)
            lo = hi - step if hi - step >= math.log(full[0]) else lo
        if name == "p":
            lo_p, hi_p = lo, hi
        else:
            lo_q, hi_q = lo, hi
    return {"p": (math.exp(lo_p), math.exp(hi_p)), "q": (math.exp(lo_q), math.exp(hi_q))}


def values_at(series: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Adoption at ``months`` from series of shape (..., months + 1)."""
    return series[..., months]


def fit_start_year(
    cfg: ScenarioConfig,
    settings: Settings,
    start_year: int,
    years: np.ndarray,
    y: np.ndarray,
    coarse: tuple[np.ndarray, np.ndarray, np.ndarray],
    pool: Pool,
    *,
    fine: int,
    reps: int,
    progress: Callable[[str], None] | None = None,
) -> Fit:
    """Stage 2 for one start year, from the shared stage-1 runs ``coarse`` = (ps, qs, series)."""
    months = data_months(years, start_year)
    obs_var = observation_variance(y, settings.n_survey, settings.sd_definition)
    ps, qs, series = coarse
    c_surface = Surface.from_runs(ps, qs, values_at(series, months))
    c = ml_and_profiles(c_surface, y, obs_var)
    box = refine_box(ps, qs, c["loglik"], c_surface.mesh_lp, c_surface.mesh_lq)
    fp, fq = log_grid(*box["p"], fine), log_grid(*box["q"], fine)
    points = [(p, q) for p in fp for q in fq]
    seeds = replication_seeds(settings.seed, reps)
    runs = simulate(cfg, points, seeds, pool, progress, f"start {start_year}, refinement")
    surface = Surface.from_runs(fp, fq, values_at(runs, months))
    r = ml_and_profiles(surface, y, obs_var)
    nat = ml_and_profiles(surface, y, obs_var, process=False)
    return Fit(
        start_year=start_year,
        box=box,
        grid_p=fp,
        grid_q=fq,
        reps=reps,
        p=r["p"],
        q=r["q"],
        ci=r["ci"],
        open_ends=r["open_ends"],
        deviance_min=r["deviance_min"],
        mean_at_data=r["mean_at_data"],
        sd_at_data=r["sd_at_data"],
        profile_p=r["profile_p"],
        profile_q=r["profile_q"],
        corr=surface.corr,
        national={k: nat[k] for k in ("p", "q", "ci", "open_ends", "segments", "deviance_min", "misfit")},
        segments=r["segments"],
        misfit=r["misfit"],
        mesh_lp=surface.mesh_lp,
        mesh_lq=surface.mesh_lq,
        loglik=r["loglik"],
        at_edge=r["at_edge"],
    )


def run_calibration(
    years: np.ndarray,
    shares: np.ndarray,
    settings: Settings,
    *,
    workers: int = 1,
    last_year: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The whole simulation-based calibration; JSON-ready dict plus arrays."""
    start = time.perf_counter()
    years = np.asarray(years, float)
    y = np.asarray(shares, float)
    first = int(years.min())
    main = check_start_year(settings.start_year, first)
    starts = [main]
    if settings.sensitivity:
        starts += [main + d for d in SENSITIVITY if MIN_START <= main + d <= first - 1]
    last = max(float(years.max()), float(last_year or years.max()), main + max(REPORT_YEARS))
    n_months = int(12 * (last - min(starts)) + SURVEY_OFFSET + 1)
    cfg = base_config(settings, n_months)
    ps, qs = log_grid(*settings.p_range, settings.coarse), log_grid(*settings.q_range, settings.coarse)
    coarse_seeds = replication_seeds(settings.seed, settings.coarse_reps)
    with Pool(workers) as pool:
        points = [(p, q) for p in ps for q in qs]
        series = simulate(cfg, points, coarse_seeds, pool, progress, "coarse grid")
        coarse = (ps, qs, series)
        fits = []
        for k, s in enumerate(starts):
            fits.append(
                fit_start_year(
                    cfg,
                    settings,
                    s,
                    years,
                    y,
                    coarse,
                    pool,
                    fine=settings.fine if k == 0 else settings.sens_fine,
                    reps=settings.reps if k == 0 else settings.sens_reps,
                    progress=progress,
                )
            )
        best = fits[0]
        # Fresh seeds (not those of the grid): the band is an independent check of the emulator.
        band = simulate(
            cfg,
            [(best.p, best.q)],
            replication_seeds(derive_seed(settings.seed, 1), settings.reps),
            pool,
            progress,
            "ML point",
        )[0]
    report_months = [12 * k for k in REPORT_YEARS]
    at_years = {
        str(main + k): {
            "years_after_start": k,
            "month": m,
            "mean": float(band[:, m].mean()),
            "lo": float(np.percentile(band[:, m], 2.5)),
            "hi": float(np.percentile(band[:, m], 97.5)),
        }
        for k, m in zip(REPORT_YEARS, report_months, strict=True)
    }
    return {
        "settings": {
            "scenario": settings.scenario,
            "start_year": main,
            "citizens": settings.citizens,
            "p_range": settings.p_range,
            "q_range": settings.q_range,
            "coarse": settings.coarse,
            "coarse_replications": settings.coarse_reps,
            "fine": settings.fine,
            "replications": settings.reps,
            "sensitivity_fine": settings.sens_fine,
            "sensitivity_replications": settings.sens_reps,
            "seed": settings.seed,
            "n_survey": settings.n_survey,
            "sd_definition": settings.sd_definition,
            "survey_offset_months": SURVEY_OFFSET,
            "months": n_months,
        },
        "years": years,
        "shares": y,
        "fits": fits,
        "band": {
            "months": np.arange(band.shape[1]),
            "mean": band.mean(axis=0),
            "lo": np.percentile(band, 2.5, axis=0),
            "hi": np.percentile(band, 97.5, axis=0),
        },
        "at_years": at_years,
        "runs": len(points) * len(coarse_seeds)
        + sum(f.grid_p.size * f.grid_q.size * f.reps for f in fits)
        + settings.reps,
        "seconds": time.perf_counter() - start,
    }
