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


def histogram(title: str, values: list[float] | np.ndarray, bins: int = 20, unit: str = "") -> str:
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
        tip = f"{edges[i]:.2f}–{edges[i + 1]:.2f}{unit}: {count}"
        bars.append(
            f'<rect x="{20 + i * width:.1f}" y="{10 + plot - h:.1f}" width="{width - 1:.1f}" height="{h:.1f}" '
            f'fill="{COLOUR}"><title>{escape(tip)}</title></rect>'
        )
    axis = (
        f'<text x="20" y="{height - 8}">{edges[0]:.3g}{unit}</text>'
        f'<text x="{WIDTH - 20}" y="{height - 8}" text-anchor="end">{edges[-1]:.3g}{unit}</text>'
        f'<text x="{WIDTH / 2}" y="{height - 8}" text-anchor="middle">n = {len(values)}, most in one bar {most}</text>'
    )
    return _figure(title, height, "".join(bars) + axis)


def _figure(title: str, height: int, body: str) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-size="12" '
        f'font-family="sans-serif" role="img" aria-label="{escape(title)}">{body}</svg></figure>'
    )
