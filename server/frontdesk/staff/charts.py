"""Server-rendered, accessible SVG charts (no JavaScript, no inline styles: CSP-safe)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 240
PAD_LEFT = 40
PAD_BOTTOM = 28
PAD_TOP = 12


@dataclass(frozen=True)
class Series:
    """One named row of values, drawn with the CSS class `css`."""

    label: str
    values: Sequence[float]
    css: str


def _nice_max(value: float) -> float:
    """A round axis maximum at or above the largest value."""
    if value <= 0:
        return 1
    step = 1
    while step * 10 < value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def bar_chart(
    ident: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Markup:
    """Grouped bars per label; role="img" with <title>/<desc> for screen readers."""
    count = max(len(labels), 1)
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_w = WIDTH - PAD_LEFT - 4
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / count
    bar_w = max(slot * 0.8 / max(len(series), 1), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = PAD_TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="chart__grid" x1="{PAD_LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        if (top * fraction) % 1 == 0:  # counts: no "0.5 conversations" on the axis
            parts.append(
                f'<text class="chart__axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(_number(top * fraction))}</text>"
            )
    for i, label in enumerate(labels):
        x0 = PAD_LEFT + slot * i + slot * 0.1
        for j, row in enumerate(series):
            value = row.values[i] if i < len(row.values) else 0
            h = plot_h * value / top
            parts.append(
                f'<rect class="{escape(row.css)}" x="{x0 + j * bar_w:.1f}" '
                f'y="{PAD_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                f"<title>{escape(label)}: {escape(_number(value))} {escape(row.label)}</title></rect>"
            )
        if i % max(count // 6, 1) == 0:
            parts.append(
                f'<text class="chart__axis" x="{x0:.1f}" y="{HEIGHT - 8}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
