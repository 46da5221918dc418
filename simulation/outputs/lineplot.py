"""The run figure drawn in-process with Pillow (no matplotlib: `egov-sim run`'s start-up).

Importing matplotlib costs about 0.35 s, more than a 10,000-citizen run itself; Pillow
(already installed with matplotlib) costs 5 ms. This module draws the same two panels as
``plotting.draw_run``, with the same colours, line styles, legends and axes, rendered at
twice the size and reduced (a box filter) for smooth lines. ``egov-sim run --figure
matplotlib`` still draws the matplotlib figure. The PNG is deterministic (no metadata).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: 9 x 6.5 inches at 110 dpi, as plotting.draw_run; drawn at SCALE times and reduced.
WIDTH, HEIGHT, DPI, SCALE = 990, 715, 110, 2
#: matplotlib's default colour cycle (tab10) and the grey of the cost line.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#808080")
#: Dash patterns in line widths (matplotlib's "--" and ":").
DASHES = {"-": None, "--": (3.7, 1.6), ":": (1.0, 1.65)}


@cache
def _font(size_pt: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (matplotlib's default font, found without importing matplotlib) at
    ``size_pt`` points, in drawing pixels; Pillow's own font where it is missing."""
    px = round(size_pt * DPI / 72 * SCALE)
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        ttf = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if ttf.is_file():
            return ImageFont.truetype(str(ttf), px)
    return ImageFont.load_default(px)


def nice_ticks(lo: float, hi: float, most: int = 9) -> np.ndarray:
    """Round tick values in [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, at most
    ``most`` of them (matplotlib's default locator picks the same kind)."""
    span = hi - lo
    if not math.isfinite(span) or span <= 0:
        return np.array([lo])
    raw = span / (most - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return np.round(ticks, 12)


def tick_label(value: float, ticks: np.ndarray) -> str:
    """As many decimals as the tick step needs (0.2 -> 1, 2.5 -> 1, 0.002 -> 3)."""
    step = float(np.min(np.diff(ticks))) if ticks.size > 1 else 1.0
    decimals = next((d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step), 10)
    return f"{value:.{decimals}f}"


def _limits(values: Sequence[np.ndarray]) -> tuple[float, float]:
    """Data range with matplotlib's 5 % margins."""
    data = np.concatenate([np.asarray(v, float).ravel() for v in values])
    data = data[np.isfinite(data)]
    if data.size == 0:
        return 0.0, 1.0
    lo, hi = float(data.min()), float(data.max())
    if hi == lo:
        lo, hi = lo - 0.05 * (abs(lo) or 1), hi + 0.05 * (abs(hi) or 1)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


class _Panel:
    """One axes: a pixel box and data limits; maps data to drawing pixels."""

    def __init__(self, box: tuple[float, float, float, float], xlim, ylim) -> None:
        self.x0, self.y0, self.x1, self.y1 = box
        self.xlim, self.ylim = xlim, ylim

    def px(self, x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
        fx = (np.asarray(x, float) - self.xlim[0]) / (self.xlim[1] - self.xlim[0])
        fy = (np.asarray(y, float) - self.ylim[0]) / (self.ylim[1] - self.ylim[0])
        xs = self.x0 + fx * (self.x1 - self.x0)
        ys = self.y1 - fy * (self.y1 - self.y0)
        keep = np.isfinite(xs) & np.isfinite(ys)
        return list(zip(xs[keep].tolist(), ys[keep].tolist(), strict=True))


def _stroke(draw: ImageDraw.ImageDraw, points, colour: str, width: float, style: str) -> None:
    """A polyline, solid or dashed (dash lengths in line widths, as matplotlib scales them)."""
    w = max(1, round(width))
    if len(points) < 2:
        return
    dash = DASHES[style]
    if dash is None:
        draw.line(points, fill=colour, width=w, joint="curve")
        return
    on, off = dash[0] * width, dash[1] * width
    pts = np.asarray(points, float)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    at = np.concatenate([[0.0], np.cumsum(seg)])
    start = 0.0
    while start < at[-1]:
        stop = min(start + on, at[-1])
        xs = np.interp([start, *at[(at > start) & (at < stop)], stop], at, pts[:, 0])
        ys = np.interp([start, *at[(at > start) & (at < stop)], stop], at, pts[:, 1])
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=colour, width=w)
        start = stop + off


def _text(img: Image.Image, xy, text: str, size: float, anchor: str, rotate: bool = False) -> None:
    font = _font(size)
    if not rotate:
        ImageDraw.Draw(img).text(xy, text, fill="black", font=font, anchor=anchor)
        return
    left, top, right, bottom = font.getbbox(text)
    label = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(label).text((2 - left, 2 - top), text, fill=255, font=font)
    label = label.rotate(90, expand=True)
    x, y = xy[0] - label.width / 2, xy[1] - label.height / 2
    img.paste((0, 0, 0), (round(x), round(y)), label)


def _axes(img, panel: _Panel, yticks, *, xticks=None, right_ticks=None, right_panel=None) -> None:
    """Frame, ticks and tick labels (x labels only where ``xticks`` is given)."""
    draw = ImageDraw.Draw(img)
    s, tick = SCALE, 3.5 * DPI / 72 * SCALE
    lw = round(0.8 * DPI / 72 * s)
    draw.rectangle((panel.x0, panel.y0, panel.x1, panel.y1), outline="black", width=lw)
    for v in yticks:
        (_, y) = panel.px(np.array([panel.xlim[0]]), np.array([v]))[0]
        draw.line([(panel.x0 - tick, y), (panel.x0, y)], fill="black", width=lw)
        _text(img, (panel.x0 - tick - 3.5 * s, y), tick_label(v, yticks), 10, "rm")
    if right_ticks is not None:
        for v in right_ticks:
            (_, y) = right_panel.px(np.array([panel.xlim[0]]), np.array([v]))[0]
            draw.line([(panel.x1, y), (panel.x1 + tick, y)], fill="black", width=lw)
            _text(img, (panel.x1 + tick + 3.5 * s, y), tick_label(v, right_ticks), 10, "lm")
    for v in nice_ticks(*panel.xlim) if xticks is None else xticks:
        (x, _) = panel.px(np.array([v]), np.array([panel.ylim[0]]))[0]
        draw.line([(x, panel.y1), (x, panel.y1 + tick)], fill="black", width=lw)
        if xticks is not None:
            _text(img, (x, panel.y1 + tick + 3.5 * s), tick_label(v, xticks), 10, "mt")


def _legend(img, panel: _Panel, entries: Sequence[tuple[str, str, float, str]]) -> None:
    """matplotlib's 'upper left' legend: a framed box of line samples and labels."""
    draw = ImageDraw.Draw(img)
    s, font = SCALE, _font(8)
    row = 8 * DPI / 72 * s * 1.55
    pad, sample = 6 * s, 22 * s
    text_w = max(font.getbbox(label)[2] for label, *_ in entries)
    x0, y0 = panel.x0 + 6 * s, panel.y0 + 6 * s
    x1, y1 = x0 + pad * 2 + sample + 6 * s + text_w, y0 + pad * 1.2 + row * len(entries)
    draw.rounded_rectangle((x0, y0, x1, y1), radius=3 * s, fill="white", outline="#cccccc", width=s)
    for i, (label, colour, width, style) in enumerate(entries):
        y = y0 + pad * 0.6 + row * (i + 0.5)
        _stroke(draw, [(x0 + pad, y), (x0 + pad + sample, y)], colour, width, style)
        draw.text((x0 + pad + sample + 6 * s, y), label, fill="black", font=font, anchor="lm")


def draw_run(ts: Mapping[str, np.ndarray], title: str, path: Path) -> None:
    """The run figure from time-series columns (``step``, ``adoption``, ...), as PNG."""
    s = SCALE
    img = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(img)
    width = lambda pt: pt * DPI / 72 * s  # noqa: E731 - points to drawing pixels
    # The margins of plotting.draw_run (left 0.08, right 0.91, top 0.94, bottom 0.08, hspace 0.06).
    left, right = 0.08 * WIDTH * s, 0.91 * WIDTH * s
    top, bottom = (1 - 0.94) * HEIGHT * s, (1 - 0.08) * HEIGHT * s
    gap = 0.06 * (bottom - top) / 2.06
    mid_top, mid_bottom = top + (bottom - top - gap) / 2, top + (bottom - top + gap) / 2
    step = np.asarray(ts["step"], float)
    xlim = _limits([step])
    upper = _Panel((left, top, right, mid_top), xlim, (-0.02, 1.02))
    lower = _Panel((left, mid_bottom, right, bottom), xlim, (-0.02, 1.02))
    cost_lim = _limits([ts["cumulative_cost"]])
    cost = _Panel((left, mid_bottom, right, bottom), xlim, cost_lim)
    share_ticks = nice_ticks(-0.02, 1.02, 7)
    upper_lines = [
        ("adoption", "adoption", COLOURS[0], 2.5, "-"),
        ("service_quality", "service quality / reach", COLOURS[1], 1.5, "-"),
        ("integration", "parties integrated", COLOURS[2], 1.5, "--"),
        ("links", "back-office links working", COLOURS[3], 1.5, ":"),
    ]
    lower_lines = [
        ("mean_trust", "trust in programme", COLOURS[0], 1.5, "-"),
        ("mean_resistance", "resistance", COLOURS[1], 1.5, "-"),
        ("legitimacy", "legitimacy (citizens)", COLOURS[2], 1.5, "-"),
    ]
    for panel, lines in ((upper, upper_lines), (lower, lower_lines)):
        for col, _, colour, lw, style in lines:
            _stroke(draw, panel.px(step, ts[col]), colour, width(lw), style)
    _stroke(draw, cost.px(step, ts["cumulative_cost"]), COLOURS[4], width(1), "-")
    x_ticks = nice_ticks(*xlim)
    _axes(img, upper, share_ticks)
    _axes(img, lower, share_ticks, xticks=x_ticks, right_ticks=nice_ticks(*cost_lim), right_panel=cost)
    _legend(img, upper, [(label, c, width(lw), st) for _, label, c, lw, st in upper_lines])
    entries = [(label, c, width(lw), st) for _, label, c, lw, st in lower_lines]
    _legend(img, lower, [*entries, ("cumulative cost (M€)", COLOURS[4], width(1), "-")])
    _text(img, ((left + right) / 2, top - 6 * s), title, 12, "ms")
    _text(img, (left - 52 * s, (upper.y0 + upper.y1) / 2), "share", 10, "mm", rotate=True)
    _text(img, (left - 52 * s, (lower.y0 + lower.y1) / 2), "mean (0..1)", 10, "mm", rotate=True)
    _text(img, (right + 58 * s, (lower.y0 + lower.y1) / 2), "M€", 10, "mm", rotate=True)
    _text(img, ((left + right) / 2, bottom + 26 * s), "month", 10, "mt")
    # By its .png suffix Pillow loads only its PNG plugin; naming the format would load
    # every common one first (BMP, GIF, JPEG, PPM: about 20 ms). Same bytes either way.
    by_suffix = Path(path).suffix.lower() == ".png"
    img.reduce(s).save(path, **({} if by_suffix else {"format": "PNG"}))
