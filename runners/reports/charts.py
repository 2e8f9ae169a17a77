"""Plain SVG charts for the HTML report: no plotting library, no scripts, nothing fetched when it is opened."""

from __future__ import annotations

from html import escape

import numpy as np

WIDTH, BAR, GAP = 640, 18, 6
COLOUR = "#4c72b0"


def bar_chart(title: str, counts: dict[str, float], top: int = 12) -> str:
    """Horizontal bars, largest first, at most `top` of them."""
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    if not items:
        return f"<figure><figcaption>{escape(title)}</figcaption><p>nothing to show</p></figure>"
    label_width, most = 300, max(v for _, v in items) or 1
    height = len(items) * (BAR + GAP) + GAP
    bars = []
    for i, (name, value) in enumerate(items):
        y = GAP + i * (BAR + GAP)
        length = (WIDTH - label_width - 60) * value / most
        short = name if len(name) <= 46 else name[:45] + "…"
        bars.append(
            f'<text x="{label_width - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{COLOUR}">'
            f"<title>{escape(name)}: {value:g}</title></rect>"
            f'<text x="{label_width + length + 4:.1f}" y="{y + BAR - 5}">{value:g}</text>'
        )
    return _figure(title, height, "".join(bars))


def histogram(title: str, values: list[float] | np.ndarray, bins: int = 20) -> str:
    """Vertical bars of how many values fall in each of `bins` equal ranges."""
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if not len(values):
        return f"<figure><figcaption>{escape(title)}</figcaption><p>nothing to show</p></figure>"
    counts, edges = np.histogram(values, bins=bins)
    height, plot = 200, 160
    width = (WIDTH - 40) / bins
    most = counts.max() or 1
    bars = []
    for i, count in enumerate(counts):
        h = plot * count / most
        tip = f"{edges[i]:.2f}–{edges[i + 1]:.2f}: {count}"
        bars.append(
            f'<rect x="{20 + i * width:.1f}" y="{10 + plot - h:.1f}" width="{width - 1:.1f}" height="{h:.1f}" '
            f'fill="{COLOUR}"><title>{escape(tip)}</title></rect>'
        )
    axis = (
        f'<text x="20" y="{height - 8}">{edges[0]:.3g}</text>'
        f'<text x="{WIDTH - 20}" y="{height - 8}" text-anchor="end">{edges[-1]:.3g}</text>'
        f'<text x="{WIDTH / 2}" y="{height - 8}" text-anchor="middle">n = {len(values)}, most in one bar {most}</text>'
    )
    return _figure(title, height, "".join(bars) + axis)


def _figure(title: str, height: int, body: str) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-size="12" '
        f'font-family="sans-serif" role="img" aria-label="{escape(title)}">{body}</svg></figure>'
    )


PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def scatter(title: str, points: np.ndarray, labels: list[str], real: list[bool], size: int = 480) -> str:
    """A 2-D map: one colour per label, real rows as hollow squares and synthetic rows as dots."""
    if not len(points):
        return f"<figure><figcaption>{escape(title)}</figcaption><p>nothing to show</p></figure>"
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    xy = 20 + (points - low) / span * (size - 40)
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(set(labels)))}
    marks = []
    for (x, y), label, is_real in sorted(zip(xy, labels, real), key=lambda p: p[2]):  # real rows on top
        tip = f"<title>{escape(label)} ({'real' if is_real else 'synthetic'})</title>"
        if is_real:
            marks.append(
                f'<rect x="{x - 4:.1f}" y="{size - y - 4:.1f}" width="8" height="8" fill="none" '
                f'stroke="{colours[label]}" stroke-width="2">{tip}</rect>'
            )
        else:
            marks.append(
                f'<circle cx="{x:.1f}" cy="{size - y:.1f}" r="3" fill="{colours[label]}" opacity="0.6">{tip}</circle>'
            )
    legend = "".join(
        f'<rect x="{size + 10}" y="{14 + 18 * i}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{size + 26}" y="{23 + 18 * i}">{escape(label)}</text>'
        for i, (label, colour) in enumerate(colours.items())
    )
    key_y = 30 + 18 * len(colours)
    key = (
        f'<rect x="{size + 10}" y="{key_y}" width="8" height="8" fill="none" stroke="#333" stroke-width="2"/>'
        f'<text x="{size + 26}" y="{key_y + 8}">real</text>'
        f'<circle cx="{size + 14}" cy="{key_y + 22}" r="3" fill="#333"/><text x="{size + 26}" y="{key_y + 26}">synthetic</text>'
    )
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 160}" height="{size}" font-size="12" '
        f'font-family="sans-serif" role="img" aria-label="{escape(title)}" class="map">'
        f'<rect width="{size}" height="{size}" fill="none" stroke="#ccc"/>{"".join(marks)}{legend}{key}</svg></figure>'
    )
