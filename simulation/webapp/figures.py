"""The app's views, drawn with matplotlib's object API into PNG bytes.

Figures are built once per session (and per Reset) and then only their data is updated
each frame: re-creating axes, ticks and legends costs far more than drawing them, and a
10,000-citizen model steps in about 2 ms, so drawing is what limits the frame rate.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from ..agents import STATES
from ..config import RELATIONS
from ..model import EGovModel
from ..plotting import SCORE_CMAP, cell_score, score_colorbar
from ..scorecard import CELLS, PERSPECTIVES, compute
from .charts import PANELS, RUN_COLOURS, STATE_COLOURS, _positions, drawn_links  # noqa: F401

DPI = 80
#: Line styles of configuration A and B in compare mode (colours carry the series).
STYLES = ("-", "--")


def encode(fig: Figure) -> bytes:
    """The canvas as it stands, as PNG (fast zlib level: the bytes only cross localhost)."""
    buf = io.BytesIO()
    rgba = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba())
    rgba.convert("RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class Blitted:
    """A figure whose static parts (axes, ticks, labels) are drawn once and cached.

    Each frame restores the cached background and draws only the artists marked
    animated (lines, markers, texts that change). Layout is solved once, then frozen:
    constrained layout re-solves on every draw and costs most of a frame.
    """

    fig: Figure

    def __init__(self) -> None:
        self.animated: list = []
        self._background = None
        self._key: object = None
        self._png = b""

    def finish_setup(self) -> None:
        for artist in self.animated:
            artist.set_animated(True)
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")
        self.invalidate()

    def invalidate(self) -> None:
        """Static parts changed (e.g. an axis limit): redraw the background next frame."""
        self._background = None

    def frame(self, key: object = None) -> bytes:
        """PNG of the current state; ``key`` (if given) summarises what is shown, and an
        unchanged key returns the previous bytes without drawing (the browser then gets
        no update for this view either)."""
        if key is not None and key == self._key and self._background is not None:
            return self._png
        self._key = key
        self._png = self._draw()
        return self._png

    def _draw(self) -> bytes:
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        return encode(self.fig)


def nice_ceiling(value: float) -> float:
    """Smallest of 1, 2, 5 x 10^k at or above ``value`` (axis tops that change rarely)."""
    if value <= 0:
        return 1.0
    exp = 10 ** np.floor(np.log10(value))
    for m in (1, 2, 5, 10):
        if m * exp >= value:
            return float(m * exp)
    return float(10 * exp)


class Curves(Blitted):
    """The six time-series panels; one line per series and per model, on shared axes."""

    def __init__(self, labels: Sequence[str], months: int):
        super().__init__()
        self.fig = Figure(figsize=(10.5, 5.6), dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(2, 3, sharex=True).ravel()
        self.axes = axes
        self.lines: list[list[list[Line2D]]] = []  # [panel][model][series]
        two = len(labels) > 1
        for ax, (title, series, ylabel, _) in zip(axes, PANELS, strict=True):
            ax.set_title(title, fontsize=11)
            ax.set_xlim(0, months)
            ax.set_ylabel(ylabel, fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            ax.set_ylim(-0.02, 1.02)
            per_model = []
            for k, label in enumerate(labels):
                row = []
                for j, (_, name) in enumerate(series):
                    if two:  # colour = configuration, line style = series
                        colour, style, text = RUN_COLOURS[k], ("-", ":")[j], f"{label}: {name}"
                    else:
                        colour, style, text = f"C{j}", "-", name
                    (ln,) = ax.plot([], [], ls=style, color=colour, lw=2, label=text)
                    row.append(ln)
                    self.animated.append(ln)
                per_model.append(row)
            self.lines.append(per_model)
            if two or len(series) > 1:
                ax.legend(fontsize=7, loc="upper left")
        for ax in axes[3:]:
            ax.set_xlabel("month", fontsize=9)
        self.cost_top = 1.0
        axes[4].set_ylim(0, 1000)  # room for wide tick labels before the layout freezes
        self.finish_setup()
        axes[4].set_ylim(0, self.cost_top)

    def update(self, models: Sequence[EGovModel]) -> bytes:
        cost_max = 0.0
        for p, (_, series, _, unit) in enumerate(PANELS):
            for k, m in enumerate(models):
                data = m.datacollector.model_vars
                x = data["step"]
                for j, (col, _) in enumerate(series):
                    self.lines[p][k][j].set_data(x, data[col])
                    if not unit:
                        cost_max = max(cost_max, float(np.max(data[col])))
        top = nice_ceiling(cost_max * 1.05)
        if top != self.cost_top:
            self.cost_top = top
            self.axes[4].set_ylim(0, top)
            self.invalidate()
        return self.frame()


class Network(Blitted):
    """Departments (squares) and partners (circles) coloured by state, with working links;
    the outline width shows a party's resistance, the marker size its power."""

    def __init__(self, models: Sequence[EGovModel], labels: Sequence[str]):
        super().__init__()
        n = len(models)
        self.fig = Figure(figsize=(5.2 * n, 5.0), dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.fig)
        axes = np.atleast_1d(self.fig.subplots(1, n))
        self.panels = []
        for ax, model, label in zip(axes, models, labels, strict=True):
            pos = _positions(model)
            ax.set_xlim(-1.45, 1.45)
            ax.set_ylim(-1.35, 1.45)
            ax.set_aspect("equal")
            ax.axis("off")
            edges = LineCollection([], colors="#2ca25f", linewidths=2.5, alpha=0.8, zorder=1)
            ax.add_collection(edges)
            dept = np.array([p.kind == "department" for p in model.parties])
            size = np.array([120 + 380 * p.power for p in model.parties])
            marks = []
            for mask, marker in ((dept, "s"), (~dept, "o")):
                sc = ax.scatter(
                    pos[mask, 0], pos[mask, 1], s=size[mask], marker=marker, zorder=2, edgecolors="black"
                )
                marks.append((mask, sc))
                self.animated.append(sc)
            if len(model.parties) <= 16:
                for p, (x, y) in zip(model.parties, pos, strict=True):
                    ax.annotate(
                        p.name, (x, y), xytext=(0, -16), textcoords="offset points", ha="center", fontsize=7
                    )
            title = ax.set_title(label + "\n", fontsize=10)
            self.animated += [edges, title]
            self.panels.append((pos, edges, marks, title, label))
        handles = [
            Line2D([], [], marker="o", ls="", color=c, markeredgecolor="black", markersize=8, label=s)
            for s, c in STATE_COLOURS.items()
        ]
        handles += [
            Line2D([], [], marker="s", ls="", color="white", markeredgecolor="black", label="department"),
            Line2D([], [], marker="o", ls="", color="white", markeredgecolor="black", label="partner"),
            Line2D([], [], color="#2ca25f", lw=2.5, label="working link"),
        ]
        self.fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False)
        self.fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
        self.finish_setup()

    def update(self, models: Sequence[EGovModel]) -> bytes:
        key = tuple(
            (
                tuple(p.state for p in m.parties),
                tuple(round(p.resistance, 2) for p in m.parties),
                drawn_links(m).tobytes(),
            )
            for m in models
        )
        if key == self._key:
            return self._png
        for (pos, edges, marks, title, label), model in zip(self.panels, models, strict=True):
            colours = np.array([STATE_COLOURS[p.state] for p in model.parties])
            widths = np.array([0.5 + 3.5 * p.resistance for p in model.parties])
            for mask, sc in marks:
                sc.set_facecolor(colours[mask])
                sc.set_linewidths(widths[mask])
            i, j = np.nonzero(drawn_links(model))
            edges.set_segments([[pos[a], pos[b]] for a, b in zip(i, j, strict=True)])
            counts = {s: sum(p.state == s for p in model.parties) for s in STATES}
            title.set_text(
                f"{label}\n{counts['integrated']} integrated, {counts['negotiating']} negotiating, "
                f"{counts['refused'] + counts['withdrawn']} out; {len(i)} working links"
            )
        return self.frame(key)


class Scorecard(Blitted):
    """The perspectives x relations matrix as a heatmap (one per model). Colour is
    :func:`simulation.plotting.cell_score` (fixed anchors per unit, signed by the cell's
    direction): green = better, red = worse, the same in every run and panel, with a legend."""

    def __init__(self, labels: Sequence[str]):
        super().__init__()
        n = len(labels)
        self.fig = Figure(figsize=(5.4 * n + 0.8, 3.6), dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.fig)
        axes = np.atleast_1d(self.fig.subplots(1, n, sharey=True))
        self.panels = []
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-1.0, vmax=1.0)
        for k, (ax, label) in enumerate(zip(axes, labels, strict=True)):
            # pcolormesh, not imshow: a few quads draw faster than a resampled image.
            im = ax.pcolormesh(
                np.arange(len(RELATIONS) + 1) - 0.5,
                np.arange(len(PERSPECTIVES) + 1) - 0.5,
                np.zeros((len(PERSPECTIVES), len(RELATIONS))),
                cmap=SCORE_CMAP,
                norm=norm,
            )
            ax.set_ylim(len(PERSPECTIVES) - 0.5, -0.5)  # first perspective on top, as in the article
            ax.set_xticks(range(len(RELATIONS)), list(RELATIONS), fontsize=8)
            ax.set_yticks(range(len(PERSPECTIVES)), [p.replace("_", " ") for p in PERSPECTIVES], fontsize=8)
            ax.tick_params(length=0)
            if k:
                ax.tick_params(labelleft=False)
            ax.set_title(label, fontsize=10)
            texts = [
                [ax.text(c, r, "", ha="center", va="center", fontsize=8) for c in range(len(RELATIONS))]
                for r in range(len(PERSPECTIVES))
            ]
            self.animated.append(im)
            self.animated += [t for row in texts for t in row]
            self.panels.append((im, texts))
        score_colorbar(self.fig, im, list(axes), "cell value: ↑ higher / ↓ lower is better")
        self.finish_setup()

    def update(self, models: Sequence[EGovModel]) -> bytes:
        mats = [compute(m) for m in models]
        raw = np.array([[[mat[p][r] for r in RELATIONS] for p in PERSPECTIVES] for mat in mats])
        # One colour rule for every cell and run (not scaled per row or per set of runs):
        # green = better in the cell's direction; not-applicable cells (NaN) stay blank.
        colour = np.array(
            [
                [
                    [
                        cell_score(CELLS[p][r].unit, CELLS[p][r].direction, m[i, j])
                        for j, r in enumerate(RELATIONS)
                    ]
                    for i, p in enumerate(PERSPECTIVES)
                ]
                for m in raw
            ]
        )
        key = tuple(np.nan_to_num(np.round(raw, 2), nan=-999.0).ravel()) + tuple(
            np.nan_to_num(np.round(colour, 2), nan=-999.0).ravel()
        )
        if key == self._key:
            return self._png
        for k, (im, texts) in enumerate(self.panels):
            im.set_array(colour[k].ravel())
            for r in range(len(PERSPECTIVES)):
                for c in range(len(RELATIONS)):
                    v = raw[k, r, c]
                    cell = CELLS[PERSPECTIVES[r]][RELATIONS[c]]
                    arrow = "↑" if cell.direction == "higher" else "↓"
                    num = f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
                    texts[r][c].set_text("n/a" if np.isnan(v) else f"{num} {cell.unit} {arrow}")
        return self.frame(key)


class Views:
    """All figures of one session's Lockstep; ``render`` returns fresh PNG bytes per view."""

    def __init__(self, models: Sequence[EGovModel], labels: Sequence[str]):
        months = max(m.months for m in models)
        self.curves = Curves(labels, months)
        self.network = Network(models, labels)
        self.scorecard = Scorecard(labels)

    def render(self, models: Sequence[EGovModel]) -> dict[str, bytes]:
        return {
            "curves": self.curves.update(models),
            "network": self.network.update(models),
            "scorecard": self.scorecard.update(models),
        }
