"""Bar charts drawn on the server as inline SVG.

Customers of such vendors run on intranets without internet: no chart library,
no script, no font or asset from any outside host. Labels are escaped; each
bar segment carries a ``<title>`` so a pointer shows its exact figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Kept, late with notice, broken — and a neutral blue for single-series charts.
GREEN = "#2e7d32"
AMBER = "#f9a825"
RED = "#c62828"
BLUE = "#1565c0"

_LABEL_WIDTH = 190
_BAR_WIDTH = 380
_VALUE_WIDTH = 70
_ROW_HEIGHT = 24
_BAR_HEIGHT = 16
_LEGEND_HEIGHT = 24


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


def _text_width(text: str) -> int:
    """Approximate width in pixels at 12 px: Chinese characters are about twice as wide as Latin ones."""
    return sum(12 if ord(char) >= 0x2E80 else 7 for char in text)


def _shorten(label: str, width: int = _LABEL_WIDTH - 12) -> str:
    if _text_width(label) <= width:
        return label
    while label and _text_width(label) > width - 12:
        label = label[:-1]
    return label + "…"


def bar_chart(
    rows: Sequence[tuple[str, Sequence[float]]], *, series: Sequence[Series], title: str
) -> SafeString:
    """Horizontal bars, one per row, stacked by series; scaled to the largest row total.

    ``rows`` is ``(label, values)`` with one value per series. An empty chart
    (no rows, or only zeros) still draws its frame, so the page layout holds.
    """
    show_legend = len(series) > 1
    top = _LEGEND_HEIGHT if show_legend else 4
    height = top + _ROW_HEIGHT * max(len(rows), 1) + 4
    width = _LABEL_WIDTH + _BAR_WIDTH + _VALUE_WIDTH
    largest = max((sum(values) for _label, values in rows), default=0) or 1

    parts: list[SafeString] = []
    if show_legend:
        x = 8
        for item in series:
            parts.append(
                format_html(
                    '<rect x="{}" y="4" width="12" height="12" fill="{}"/>'
                    '<text x="{}" y="14" class="chart-legend">{}</text>',
                    x,
                    item.colour,
                    x + 16,
                    item.name,
                )
            )
            x += 16 + _text_width(item.name) + 20
    for index, (label, values) in enumerate(rows):
        y = top + index * _ROW_HEIGHT
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart-label"><title>{}</title>{}</text>',
                _LABEL_WIDTH - 8,
                y + _BAR_HEIGHT - 3,
                label,
                _shorten(label),
            )
        )
        x = float(_LABEL_WIDTH)
        for item, value in zip(series, values, strict=True):
            if not value:
                continue
            length = _BAR_WIDTH * value / largest
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                    f"{x:.1f}",
                    y,
                    f"{length:.1f}",
                    _BAR_HEIGHT,
                    item.colour,
                    item.name,
                    _number(value),
                )
            )
            x += length
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                f"{x + 6:.1f}",
                y + _BAR_HEIGHT - 3,
                _number(sum(values)),
            )
        )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {} {}" '
        'width="{}" height="{}" aria-label="{}"><title>{}</title>{}</svg>',
        width,
        height,
        width,
        height,
        title,
        title,
        body,
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
