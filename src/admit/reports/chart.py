"""A bar chart as inline SVG, drawn on the server: one ``<rect class="bar">`` per row, bars
below the axis for negative values, each with a ``<title>`` (the browser's tooltip). No
script and no style attribute, so the strict content security policy lets it through."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 960, 320
MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM = 80, 16, 64


def bar_chart(labels: Sequence[str], values: Sequence[int], *, caption: str) -> str:
    """``values`` as bars, labelled below (every n-th label when there are many)."""
    count = len(values)
    top = max([0, *values])
    bottom = min([0, *values])
    span = (top - bottom) or 1
    plot_w = WIDTH - MARGIN_LEFT - 8
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    zero_y = MARGIN_TOP + plot_h * top / span
    step = plot_w / max(count, 1)
    every = max(1, count // 24)  # at most ~24 labels on the axis
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" aria-label="{escape(caption)}">',
        f"<title>{escape(caption)}</title>",
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" '
        f'font-size="11">{top}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + plot_h}" text-anchor="end" '
        f'font-size="11">{bottom}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = MARGIN_LEFT + i * step + step * 0.1
        h = plot_h * abs(value) / span
        y = zero_y - h if value >= 0 else zero_y
        fill = "#2f6fb0" if value >= 0 else "#b0412f"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
            f'height="{h:.1f}" fill="{fill}"><title>{escape(label)}: {value}</title></rect>'
        )
        if i % every == 0:
            lx, ly = x + step * 0.4, HEIGHT - MARGIN_BOTTOM + 12
            parts.append(
                f'<text x="{lx:.1f}" y="{ly}" font-size="10" text-anchor="end" '
                f'transform="rotate(-40 {lx:.1f} {ly})">{escape(label[:28])}</text>'
            )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - 8}" y1="{zero_y:.1f}" y2="{zero_y:.1f}" '
        f'stroke="#333" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
