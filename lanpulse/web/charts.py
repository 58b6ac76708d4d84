"""Small server-rendered SVG charts and the number formats the page uses.

No JavaScript: a chart is a polyline in an inline `<svg>` with a `<title>` for screen readers
and a text line under it for the newest value.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 240, 48


def sparkline(points: Sequence[tuple[int, float]], label: str) -> Markup:
    """An hour of (minutes ago, value) as an SVG polyline; a note when there is nothing yet."""
    if not points:
        return Markup('<span class="muted">no data in the last hour yet</span>')
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    span = (hi - lo) or 1.0
    if len(points) == 1:  # one minute so far: a flat line, so the chart is not blank
        points = [(points[0][0] + 1, points[0][1]), points[0]]
    coords = " ".join(
        f"{WIDTH - ago * WIDTH / 60:.1f},{HEIGHT - 2 - (v - lo) / span * (HEIGHT - 4):.1f}"
        for ago, v in points
    )
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}"><title>{escape(label)}: last hour, '
        f"min {human(lo)} max {human(hi)}</title>"
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{coords}"/>'
        "</svg>"
    )


def human(value: object, unit: str = "") -> str:
    """1.2 M, 350 k, 12.5: three significant figures and an SI prefix."""
    if value is None or value == "":
        return ""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    v = float(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            return f"{v / factor:.3g} {prefix}{unit}"
    text = f"{v:.3g}" if not v.is_integer() else str(int(v))
    return f"{text} {unit}".rstrip() if unit else text
