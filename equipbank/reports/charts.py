"""Charts drawn on the server as inline SVG: no JavaScript, nothing loaded from elsewhere.

A chart sits next to the data table it pictures, and the table stays the primary view. So a
chart is one image for assistive technologies (`role="img"`): its `<title>` names it and its
`<desc>` says in words what a sighted reader gets from it (how many values, the largest one).
Series are told apart by a pattern and by the legend order as well as by colour, and every
colour has at least a 4.5:1 contrast with the white background.

Labels come from data (a commune, a month): they are escaped, and whatever the browser's font,
they are given room from an estimate of their width, drawn from DejaVu Sans, one of the widest
common sans-serif fonts, so that the estimate errs on the side of room. The `viewBox` lets the
page scale a chart to its width; a chart only widens its `viewBox` when its labels need it.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from equipbank.templating import format_number

WIDTH = 720  # viewBox units; the page scales the chart to its own width
PAD = 12
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
TITLE_SIZE = 15
TITLE_LINE = 20
TEXT_SIZE = 13
SMALL_SIZE = 12
INK = "#1c2430"
MUTED = "#5b6675"
GRID = "#d5dbe3"
# (colour, pattern): the colours of the app's style sheet, all dark enough on white
SERIES_STYLES = (
    ("#1d4e89", "solid"),
    ("#1e7a46", "stripes"),
    ("#8a5a00", "dots"),
    ("#5b6675", "cross"),
    ("#b3261e", "solid"),
    ("#12355e", "stripes"),
)
MAX_LABEL_CHARS = 48  # the longest French commune name has 45 characters

BAR_HEIGHT = 16
ROW_PITCH = 24
MIN_PLOT_WIDTH = 280

PLOT_HEIGHT = 240
MIN_BAR_WIDTH = 4
MAX_BAR_WIDTH = 40  # a few categories get bars, not slabs
MIN_GROUP_WIDTH = 18  # keeps labels turned at 45° from overlapping
LINE_PITCH = 15

_NARROW = set("fijlrtI.,:;'’|!()[]-/ \u202f\u00a0")
_WIDE = set("mwMW%@…—")
_SPACES = re.compile("[ \t\n\r]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def bar_chart_svg(bars: Sequence[Bar], *, title: str, value_label: str, max_bars: int = 30) -> str:
    """Horizontal bars in the given order, each value printed at the end of its bar.

    Only the first `max_bars` are drawn (a note says how many are left out, the table has
    them all); the description still speaks of all of them.
    """
    if max_bars < 1:
        raise ValueError("max_bars must be at least 1")
    _check_values(bar.value for bar in bars)
    uid = _chart_id("bars", title, value_label, max_bars, tuple(bars))
    if not bars:
        return _empty_svg(uid, title)
    shown = bars[:max_bars]
    hidden = len(bars) - len(shown)
    decimals = _decimals(bar.value for bar in bars)
    labels = [_shorten(_clean(bar.label), MAX_LABEL_CHARS) for bar in shown]
    values = [format_number(bar.value, decimals) for bar in shown]
    label_width = max(_text_width(label, TEXT_SIZE) for label in labels)
    value_width = max(_text_width(value, TEXT_SIZE) for value in values)
    plot_left = PAD + label_width + 8
    width = max(WIDTH, math.ceil(plot_left + MIN_PLOT_WIDTH + 6 + value_width + PAD))
    plot_width = width - plot_left - 6 - value_width - PAD
    largest = max(bar.value for bar in bars)
    heading, title_bottom = _title(title, width)
    top = title_bottom + 37
    body = [*heading, _text(plot_left, title_bottom + 23, value_label, size=SMALL_SIZE, fill=MUTED)]
    for index, (bar, label, value) in enumerate(zip(shown, labels, values, strict=True)):
        y = top + index * ROW_PITCH
        length = plot_width * bar.value / largest if largest else 0
        baseline = y + BAR_HEIGHT / 2 + TEXT_SIZE * 0.35
        body += [
            _text(plot_left - 8, baseline, label, anchor="end"),
            _rect(plot_left, y, length, BAR_HEIGHT, SERIES_STYLES[0][0], css_class="bar"),
            _text(plot_left + length + 6, baseline, value),
        ]
    bottom = top + len(shown) * ROW_PITCH
    body.append(_line(plot_left, top - 4, plot_left, bottom - ROW_PITCH + BAR_HEIGHT + 4, INK))
    if hidden:
        bottom += 12
        body.append(_text(plot_left, bottom, f"… et {hidden} autres", size=SMALL_SIZE, fill=MUTED))
    desc = _bars_desc(bars, value_label, decimals, len(shown))
    return _svg(uid, width, bottom + PAD, title, desc, body)


def grouped_bars_svg(categories: Sequence[str], series: Sequence[Series], *, title: str) -> str:
    """Vertical bars grouped by category, one bar per series, in the legend's order.

    Category labels too wide for their group wrap onto two lines, or are turned at 45° when
    that is not enough; a chart with many categories widens rather than squeeze its bars.
    """
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values for {len(categories)} categories"
            )
        _check_values(one.values)
    uid = _chart_id(
        "groups", title, tuple(categories), tuple((one.name, tuple(one.values)) for one in series)
    )
    if not categories or not series:
        return _empty_svg(uid, title)
    styles = [SERIES_STYLES[index % len(SERIES_STYLES)] for index in range(len(series))]
    decimals = _decimals(value for one in series for value in one.values)
    largest = max(max(one.values) for one in series)
    step, ticks = _ticks(largest, decimals == 0)
    axis_top = step * (ticks - 1)
    tick_labels = [format_number(step * index, _step_decimals(step)) for index in range(ticks)]
    labels = [_shorten(_clean(category), MAX_LABEL_CHARS) for category in categories]
    group_min = max(MIN_GROUP_WIDTH, len(series) * (MIN_BAR_WIDTH + 1) + 6)
    plot_left = PAD + max(_text_width(label, SMALL_SIZE) for label in tick_labels) + 8
    width = max(WIDTH, math.ceil(plot_left + group_min * len(categories) + PAD))
    group_width = (width - plot_left - PAD) / len(categories)
    lines, turned = _category_lines(labels, group_width - 4)
    if turned:
        overflow = _text_width(labels[0], SMALL_SIZE) * 0.71 + 6 - group_width / 2 - plot_left
        if overflow > 0:
            plot_left += overflow
            width = math.ceil(width + overflow)
    heading, title_bottom = _title(title, width)
    legend, legend_bottom = _legend(
        uid, [one.name for one in series], styles, width, title_bottom + 13
    )
    plot_top = legend_bottom + 16
    plot_bottom = plot_top + PLOT_HEIGHT
    body = [
        _patterns(uid, styles),
        *heading,
        *legend,
        *_y_axis(plot_left, width - PAD, plot_top, plot_bottom, tick_labels),
    ]
    bar_width = min(MAX_BAR_WIDTH, (group_width * 0.8 - (len(series) - 1)) / len(series))
    bars_width = len(series) * (bar_width + 1) - 1
    for index, (category, label) in enumerate(zip(categories, labels, strict=True)):
        left = plot_left + (index + 0.5) * group_width - bars_width / 2
        for rank, one in enumerate(series):
            value = one.values[index]
            height = PLOT_HEIGHT * value / axis_top
            tooltip = f"{_clean(category)} – {_clean(one.name)} : {format_number(value, decimals)}"
            body.append(
                _rect(
                    left + rank * (bar_width + 1),
                    plot_bottom - height,
                    bar_width,
                    height,
                    _fill(uid, rank, styles[rank]),
                    stroke=styles[rank][0],
                    css_class="bar",
                    tooltip=tooltip,
                )
            )
        center = plot_left + (index + 0.5) * group_width
        body.append(_category_label(center, plot_bottom, label, lines, turned))
    body.append(_line(plot_left, plot_bottom, width - PAD, plot_bottom, INK))
    label_height = (
        max(_text_width(label, SMALL_SIZE) for label in labels) * 0.71 + 12
        if turned
        else lines * LINE_PITCH + 4
    )
    desc = _groups_desc(categories, series, decimals)
    return _svg(uid, width, math.ceil(plot_bottom + label_height + PAD), title, desc, body)


def _bars_desc(bars: Sequence[Bar], value_label: str, decimals: int, shown: int) -> str:
    """What the bars say, in words: how many, their range, which is the largest."""
    values = [bar.value for bar in bars]
    parts = [
        (
            f"{_clean(value_label)} : {len(bars)} valeurs, de "
            f"{format_number(min(values), decimals)} à {format_number(max(values), decimals)}."
        )
    ]
    if max(values):
        top = max(bars, key=lambda bar: bar.value)
        parts.append(
            f"Valeur la plus élevée : {format_number(top.value, decimals)} ({_clean(top.label)})."
        )
    else:
        parts.append("Toutes les valeurs sont nulles.")
    if shown < len(bars):
        parts.append(f"Le graphique représente les {shown} premières valeurs sur {len(bars)}.")
    return " ".join(parts)


def _groups_desc(categories: Sequence[str], series: Sequence[Series], decimals: int) -> str:
    """The span of categories, each series' total, and the single largest value."""
    totals = ", ".join(
        f"{_clean(one.name)} {format_number(sum(one.values), decimals)}" for one in series
    )
    span = (
        _clean(categories[0])
        if len(categories) == 1
        else f"de {_clean(categories[0])} à {_clean(categories[-1])}"
    )
    parts = [f"{len(categories)} catégories ({span}), {len(series)} séries. Totaux : {totals}."]
    value, name, category = max(
        (
            (value, one.name, categories[index])
            for one in series
            for index, value in enumerate(one.values)
        ),
        key=lambda item: item[0],
    )
    if value:
        parts.append(
            f"Valeur la plus élevée : {format_number(value, decimals)} ({_clean(name)}, {_clean(category)})."
        )
    else:
        parts.append("Toutes les valeurs sont nulles.")
    return " ".join(parts)


def _legend(
    uid: str, names: list[str], styles: list[tuple[str, str]], width: int, top: float
) -> tuple[list[str], float]:
    """Swatches and names in a row under the title, wrapping to a new row when full."""
    elements = []
    x: float = PAD
    y = top
    for rank, name in enumerate(names):
        text = _shorten(_clean(name), MAX_LABEL_CHARS)
        item_width = 18 + _text_width(text, SMALL_SIZE) + 18
        if x > PAD and x + item_width > width - PAD:
            x, y = PAD, y + 20
        elements += [
            _rect(
                x,
                y,
                12,
                12,
                _fill(uid, rank, styles[rank]),
                stroke=styles[rank][0],
                css_class="swatch",
            ),
            _text(x + 18, y + 10.5, text, size=SMALL_SIZE),
        ]
        x += item_width
    return elements, y + 12


def _y_axis(
    left: float, right: float, top: float, bottom: float, tick_labels: list[str]
) -> list[str]:
    """Light horizontal grid lines at each tick, the tick values on the left."""
    elements = []
    for index, label in enumerate(tick_labels):
        y = bottom - (bottom - top) * index / (len(tick_labels) - 1)
        if index:
            elements.append(_line(left, y, right, y, GRID))
        elements.append(
            _text(left - 6, y + SMALL_SIZE * 0.35, label, size=SMALL_SIZE, fill=MUTED, anchor="end")
        )
    return elements


def _ticks(largest: float, whole: bool) -> tuple[float, int]:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten) giving 4 or 5 ticks from 0
    up to at least `largest`, and how many ticks.

    Whole numbers (counts) never get a fractional step, so no tick reads "2,5 équipements".
    """
    step = next(
        step
        for step in _round_steps(1 if whole else 0.001)
        if math.ceil(largest / step) <= 4 and not (whole and not float(step).is_integer())
    )
    return step, max(3, math.ceil(largest / step)) + 1


def _round_steps(smallest: float) -> Iterator[float]:
    """1, 2, 2.5, 5, 10, 20, 25, 50… times `smallest`, without end."""
    scale = smallest
    while True:
        for mantissa in (1, 2, 2.5, 5):
            yield round(mantissa * scale, 10)
        scale *= 10


def _step_decimals(step: float) -> int:
    """Just enough decimals for every tick: none for 5, two for 0,25."""
    return next(decimals for decimals in range(11) if round(step, decimals) == step)


def _category_lines(labels: list[str], room: float) -> tuple[int, bool]:
    """How many lines the category labels take (1 or 2), or True when they must be turned."""
    if all(_text_width(label, SMALL_SIZE) <= room for label in labels):
        return 1, False
    if all(_text_width(line, SMALL_SIZE) <= room for label in labels for line in _split(label)):
        return 2, False
    return 1, True


def _category_label(center: float, bottom: float, label: str, lines: int, turned: bool) -> str:
    """A label under its group: on one line, on two, or turned at 45° ending under the group."""
    if turned:
        x, y = center + SMALL_SIZE * 0.35, bottom + 10
        return _text(x, y, label, size=SMALL_SIZE, anchor="end", rotate=(-45, x, y))
    if lines == 1:
        return _text(center, bottom + 16, label, size=SMALL_SIZE, anchor="middle")
    spans = "".join(
        f'<tspan x="{_n(center)}" dy="{0 if index == 0 else LINE_PITCH}">{_escape(part)}</tspan>'
        for index, part in enumerate(_split(label))
    )
    return (
        f'<text x="{_n(center)}" y="{_n(bottom + 16)}" font-size="{SMALL_SIZE}" fill="{INK}" '
        f'text-anchor="middle">{spans}</text>'
    )


def _split(label: str) -> list[str]:
    """Two lines cut at the space nearest the middle ("janv." over "2026"); a word stays whole."""
    spaces = [index for index, char in enumerate(label) if char == " "]
    if not spaces:
        return [label]
    middle = _text_width(label, SMALL_SIZE) / 2
    cut = min(spaces, key=lambda index: abs(_text_width(label[:index], SMALL_SIZE) - middle))
    return [label[:cut], label[cut + 1 :]]


def _patterns(uid: str, styles: list[tuple[str, str]]) -> str:
    """One fill per series: its colour under white stripes, dots or a cross-hatch.

    Tiles are drawn with paths, not rectangles, so every `<rect>` of a chart is a bar or a swatch.
    """
    marks = {
        "stripes": '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2" stroke="#fff" stroke-width="1.4"/>',
        "dots": '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
        "cross": (
            '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2M-1 5l2 2M0 0l6 6M5-1l2 2" stroke="#fff" stroke-width="1"/>'
        ),
    }
    tiles = "".join(
        f'<pattern id="{uid}-p{rank}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<path d="M0 0h6v6h-6z" fill="{colour}"/>{marks[pattern]}</pattern>'
        for rank, (colour, pattern) in enumerate(styles)
        if pattern != "solid"
    )
    return f"<defs>{tiles}</defs>"


def _fill(uid: str, rank: int, style: tuple[str, str]) -> str:
    colour, pattern = style
    return colour if pattern == "solid" else f"url(#{uid}-p{rank})"


def _empty_svg(uid: str, title: str) -> str:
    """A small chart that says there is nothing to draw, rather than an empty frame."""
    heading, title_bottom = _title(title, WIDTH)
    body = [*heading, _text(PAD, title_bottom + 29, "Aucune donnée", fill=MUTED)]
    return _svg(uid, WIDTH, title_bottom + 45, title, "Aucune donnée", body)


def _title(title: str, width: float) -> tuple[list[str], float]:
    """The visible title, wrapped to the chart's width, and the baseline of its last line."""
    lines: list[str] = []
    for word in _clean(title).split(" "):
        if lines and _text_width(f"{lines[-1]} {word}", TITLE_SIZE, bold=True) <= width - 2 * PAD:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    baselines = [PAD + TITLE_SIZE + index * TITLE_LINE for index in range(len(lines))]
    elements = [
        _text(PAD, y, line, size=TITLE_SIZE, bold=True)
        for y, line in zip(baselines, lines, strict=True)
    ]
    return elements, baselines[-1]


def _svg(uid: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="100%" role="img" aria-labelledby="{uid}-title" aria-describedby="{uid}-desc" '
        f'font-family="{_escape(FONT)}" font-size="{TEXT_SIZE}">'
        f'<title id="{uid}-title">{_escape(_clean(title))}</title>'
        f'<desc id="{uid}-desc">{_escape(desc)}</desc>'
        f"{''.join(body)}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = TEXT_SIZE,
    bold: bool = False,
    fill: str = INK,
    anchor: str = "start",
    rotate: tuple[float, float, float] | None = None,
) -> str:
    attributes = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"'
    if bold:
        attributes += ' font-weight="bold"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if rotate:
        attributes += f' transform="rotate({" ".join(_n(part) for part in rotate)})"'
    return f"<text {attributes}>{_escape(_clean(text))}</text>"


def _rect(
    x: float,
    y: float,
    width: float,
    height: float,
    fill: str,
    *,
    css_class: str,
    stroke: str | None = None,
    tooltip: str | None = None,
) -> str:
    attributes = f'class="{css_class}" x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" fill="{fill}"'
    if stroke:
        attributes += f' stroke="{stroke}" stroke-width="1"'
    if tooltip:
        return f"<rect {attributes}><title>{_escape(tooltip)}</title></rect>"
    return f"<rect {attributes}/>"


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return f'<path d="M{_n(x1)} {_n(y1)}L{_n(x2)} {_n(y2)}" stroke="{colour}" stroke-width="1"/>'


def _check_values(values: Iterable[float]) -> None:
    """Charts picture counts and rates: a negative or infinite value is a caller's bug."""
    for value in values:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"chart values must be finite and not negative, not {value!r}")


def _decimals(values: Iterable[float]) -> int:
    """Counts are printed without decimals, anything else with one."""
    return 0 if all(float(value).is_integer() for value in values) else 1


def _chart_id(*content: object) -> str:
    """An id prefix from the chart's content: unique enough on a page, and the same data give
    the same SVG."""
    return "chart-" + hashlib.sha256(repr(content).encode()).hexdigest()[:10]


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of the text's width, from DejaVu Sans's glyph widths."""
    em = sum(
        0.41 if char in _NARROW else 1.0 if char in _WIDE else 0.8 if char.isupper() else 0.64
        for char in text
    )
    return em * size * (1.1 if bold else 1.0)


def _clean(text: str) -> str:
    """One line of text that XML accepts: control characters dropped, line breaks and runs of
    spaces made one space; the narrow no-break spaces of French numbers are kept."""
    return _SPACES.sub(" ", _NOT_XML.sub("", text)).strip(" ")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _n(value: float) -> str:
    """A coordinate with at most one decimal: enough on screen, and a compact SVG."""
    return f"{value:.1f}".rstrip("0").rstrip(".")
