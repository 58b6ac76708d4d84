"""Tiny inline SVG charts for the HTML report: no plotting library, no script, no fetch.

The report is one self-contained file that can be mailed, so charts are plain SVG elements
with their text escaped; each carries `class="chart"` and a `<title>` for readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 44
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _scale(high: float) -> float:
    return high if high > 0 else 1.0


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    unit: str = "",
    threshold: float | None = None,
) -> str:
    """A line per series over the x labels (None: a gap), with an optional threshold line."""
    values = [v for vs in series.values() for v in vs if v is not None]
    high = _scale(max([*values, threshold or 0.0], default=0.0) * 1.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{LEFT + i * step:.1f},{TOP + plot_h * (1 - v / high):.1f}"

    parts = [_frame(title, high, unit)]
    every = max(len(labels) // 12, 1)
    for i, label in enumerate(labels):
        if i % every == 0:  # slanted, so a year of months does not overlap
            x, y = LEFT + i * step, HEIGHT - BOTTOM + 12
            parts.append(
                f'<text x="{x:.1f}" y="{y}" font-size="9" text-anchor="end" '
                f'transform="rotate(-35 {x:.1f} {y})">{escape(label)}</text>'
            )
    if threshold is not None:
        ty = TOP + plot_h * (1 - threshold / high)
        parts.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" '
            'stroke="#d62728" stroke-dasharray="4 3"/>'
        )
    for n, (name, vs) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(xy(i, v) for i, v in enumerate(vs) if v is not None)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(_legend(n, name, colour))
    return _svg(title, parts)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, unit: str = "") -> str:
    """Vertical bars, one per label."""
    high = _scale(max((v for _, v in bars), default=0.0) * 1.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    width = plot_w / max(len(bars), 1)
    parts = [_frame(title, high, unit)]
    for i, (label, value) in enumerate(bars):
        h = plot_h * value / high
        x = LEFT + i * width
        parts.append(
            f'<rect class="bar" x="{x + width * 0.1:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{width * 0.8:.1f}" height="{h:.1f}" fill="{COLOURS[0]}">'
            f"<title>{escape(label)}: {value:,.1f}{escape(unit)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - 18}" font-size="9" '
            f'text-anchor="middle">{escape(label[:14])}</text>'
        )
    return _svg(title, parts)


def _frame(title: str, high: float, unit: str) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    return (
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>'
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#888"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="9" text-anchor="end">'
        f"{high:,.0f}{escape(unit)}</text>"
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" font-size="9" text-anchor="end">0</text>'
    )


def _legend(n: int, name: str, colour: str) -> str:
    y = TOP + 12 + 14 * n
    x = WIDTH - RIGHT + 10
    return (
        f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{x + 14}" y="{y}" font-size="10">{escape(name[:22])}</text>'
    )


def _svg(title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
