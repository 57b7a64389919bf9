"""The SVG charts, parsed back as XML: what they draw, what they say, and what they escape."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from equipbank.reports.charts import Bar, Series, bar_chart_svg, grouped_bars_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
MONTHS = ["janv. 2026", "févr. 2026", "mars 2026"]
FLOWS = ["Reçus", "Prêts", "Remis", "Recyclés"]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rects(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{{{NS['svg']}}}rect") if rect.get("class") == css_class]


def texts(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{{{NS['svg']}}}text")]


def desc(root: ET.Element) -> str:
    return root.find("svg:desc", NS).text


def view_box(root: ET.Element) -> list[float]:
    return [float(part) for part in root.get("viewBox").split()]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    title_element = root.find("svg:title", NS)
    assert title_element.text == title
    assert root.get("aria-labelledby") == title_element.get("id")
    assert root.get("aria-describedby") == root.find("svg:desc", NS).get("id")


def test_bar_chart_draws_one_bar_per_item_proportional_to_its_value():
    bars = [Bar("Nice", 1200), Bar("Cannes", 600), Bar("Grasse", 300), Bar("Tende", 0)]
    root = parse(
        bar_chart_svg(bars, title="Bénéficiaires par commune", value_label="Bénéficiaires équipés")
    )
    assert_accessible(root, "Bénéficiaires par commune")
    drawn = rects(root, "bar")
    assert len(drawn) == 4
    assert len(list(root.iter(f"{{{NS['svg']}}}rect"))) == 4
    widths = [float(rect.get("width")) for rect in drawn]
    assert widths[3] == 0
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)
    assert widths[1] == pytest.approx(2 * widths[2], abs=0.2)
    shown = texts(root)
    assert {"Nice", "Cannes", "Grasse", "Tende"} <= set(shown)
    assert {"1\u202f200", "600", "300", "0"} <= set(shown)


def test_bars_and_their_values_stay_inside_the_view_box():
    bars = [Bar("Châteauneuf-Villevieille", 123456), Bar("Saint-Martin-Vésubie", 1)]
    root = parse(bar_chart_svg(bars, title="Titre", value_label="Valeur"))
    width = view_box(root)[2]
    for rect in rects(root, "bar"):
        assert float(rect.get("x")) > 0
        # the value is printed after the bar: room for "123 456" is left at the right
        assert float(rect.get("x")) + float(rect.get("width")) < width - 50


def test_a_very_long_label_widens_the_chart_rather_than_overlap_the_bars():
    short = parse(bar_chart_svg([Bar("Nice", 3)], title="T", value_label="V"))
    long = parse(
        bar_chart_svg(
            [Bar("Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson", 3)], title="T", value_label="V"
        )
    )
    short_bar, long_bar = rects(short, "bar")[0], rects(long, "bar")[0]
    assert float(long_bar.get("x")) > float(short_bar.get("x")) + 150
    assert float(long_bar.get("width")) >= 280


def test_bar_chart_describes_the_data_in_words():
    bars = [Bar("Cannes", 600), Bar("Nice", 1200), Bar("Grasse", 300)]
    text = desc(parse(bar_chart_svg(bars, title="T", value_label="Bénéficiaires équipés")))
    assert "Bénéficiaires équipés : 3 valeurs, de 300 à 1\u202f200." in text
    assert "Valeur la plus élevée : 1\u202f200 (Nice)." in text


def test_bar_chart_shows_the_first_bars_and_says_how_many_more():
    bars = [Bar(f"Commune {index}", 100 - index) for index in range(35)]
    root = parse(bar_chart_svg(bars, title="T", value_label="V", max_bars=30))
    assert len(rects(root, "bar")) == 30
    assert "… et 5 autres" in texts(root)
    assert "Commune 29" in texts(root) and "Commune 30" not in texts(root)
    assert "les 30 premières valeurs sur 35" in desc(root)


def test_labels_from_data_are_text_not_markup():
    bars = [Bar("<script>alert('x')</script>", 5), Bar('A & B "C"', 3)]
    svg = bar_chart_svg(bars, title="<b>Titre</b>", value_label="V")
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert not list(root.iter("script")) and not list(root.iter(f"{{{NS['svg']}}}script"))
    assert "<script>alert('x')</script>" in texts(root)
    assert 'A & B "C"' in texts(root)
    assert root.find("svg:title", NS).text == "<b>Titre</b>"
    assert "(<script>alert('x')</script>)" in desc(root)


def test_control_characters_in_labels_do_not_break_the_xml():
    root = parse(bar_chart_svg([Bar("Nice\x00\x1b\nEst", 2)], title="T", value_label="V"))
    assert "Nice Est" in texts(root)


def test_empty_data_say_so():
    for svg in (
        bar_chart_svg([], title="Rien", value_label="V"),
        grouped_bars_svg([], [], title="Rien"),
        grouped_bars_svg(MONTHS, [], title="Rien"),
    ):
        root = parse(svg)
        assert_accessible(root, "Rien")
        assert "Aucune donnée" in texts(root)
        assert desc(root) == "Aucune donnée"
        assert not list(root.iter(f"{{{NS['svg']}}}rect"))


def test_all_zero_values_draw_empty_bars():
    root = parse(bar_chart_svg([Bar("Nice", 0), Bar("Cannes", 0)], title="T", value_label="V"))
    assert [float(rect.get("width")) for rect in rects(root, "bar")] == [0, 0]
    assert "Toutes les valeurs sont nulles." in desc(root)
    grouped = parse(grouped_bars_svg(MONTHS, [Series("Reçus", [0, 0, 0])], title="T"))
    assert [float(rect.get("height")) for rect in rects(grouped, "bar")] == [0, 0, 0]
    assert "Toutes les valeurs sont nulles." in desc(grouped)


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf")])
def test_values_must_be_counts_or_rates(value):
    with pytest.raises(ValueError, match="finite and not negative"):
        bar_chart_svg([Bar("Nice", value)], title="T", value_label="V")
    with pytest.raises(ValueError, match="finite and not negative"):
        grouped_bars_svg(["a"], [Series("S", [value])], title="T")


def test_decimal_values_are_printed_the_french_way():
    root = parse(
        bar_chart_svg([Bar("Nice", 12.5), Bar("Cannes", 3)], title="T", value_label="Taux")
    )
    assert {"12,5", "3,0"} <= set(texts(root))


def flows() -> list[Series]:
    return [
        Series("Reçus", [10, 40, 25]),
        Series("Prêts", [5, 30, 20]),
        Series("Remis", [0, 20, 18]),
        Series("Recyclés", [2, 4, 1]),
    ]


def test_grouped_bars_draw_one_bar_per_value_and_a_swatch_per_series():
    root = parse(grouped_bars_svg(MONTHS, flows(), title="Flux mensuels"))
    assert_accessible(root, "Flux mensuels")
    assert len(rects(root, "bar")) == 12
    assert len(rects(root, "swatch")) == 4
    assert len(list(root.iter(f"{{{NS['svg']}}}rect"))) == 16
    shown = " ".join(texts(root))
    for name in FLOWS:
        assert name in shown
    for month in ("janv.", "févr.", "mars"):
        assert month in shown


def test_grouped_bar_heights_are_proportional_and_stand_on_the_same_baseline():
    root = parse(grouped_bars_svg(MONTHS, flows(), title="T"))
    bars = rects(root, "bar")
    heights = {bar.find("svg:title", NS).text: float(bar.get("height")) for bar in bars}
    assert heights["févr. 2026 – Reçus : 40"] == pytest.approx(
        2 * heights["févr. 2026 – Remis : 20"], abs=0.2
    )
    assert heights["janv. 2026 – Remis : 0"] == 0
    bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars}
    assert len(bottoms) == 1


def test_series_are_told_apart_without_colour():
    root = parse(grouped_bars_svg(MONTHS, flows(), title="T"))
    fills = [swatch.get("fill") for swatch in rects(root, "swatch")]
    assert len(set(fills)) == 4
    assert sum(fill.startswith("url(#") for fill in fills) >= 3  # patterns, one series plain
    patterns = {pattern.get("id") for pattern in root.iter(f"{{{NS['svg']}}}pattern")}
    assert {fill[5:-1] for fill in fills if fill.startswith("url(#")} <= patterns


def test_y_axis_has_four_or_five_round_ticks_covering_the_largest_value():
    for largest in (1, 7, 40, 58, 99, 1375):
        root = parse(grouped_bars_svg(["a", "b"], [Series("S", [largest, 0])], title="T"))
        ticks = [text for text in texts(root) if re.fullmatch(r"[\d\u202f]+", text)]
        values = [int(tick.replace("\u202f", "")) for tick in ticks]
        assert values[0] == 0 and 4 <= len(values) <= 5
        step = values[1]
        assert values == [step * index for index in range(len(values))]
        assert re.fullmatch(r"(1|2|25|5)0*", str(step))
        assert values[-1] >= largest


def test_grouped_bars_describe_totals_and_the_largest_value():
    text = desc(parse(grouped_bars_svg(MONTHS, flows(), title="T")))
    assert "3 catégories (de janv. 2026 à mars 2026), 4 séries." in text
    assert "Totaux : Reçus 75, Prêts 55, Remis 38, Recyclés 7." in text
    assert "Valeur la plus élevée : 40 (Reçus, févr. 2026)." in text


def test_grouped_bars_escape_categories_and_series_names():
    svg = grouped_bars_svg(["<i>mars</i>"], [Series("<script>", [1])], title="T")
    assert "<script>" not in svg and "<i>" not in svg
    root = parse(svg)
    assert "<script>" in texts(root) and "<i>mars</i>" in texts(root)


def test_many_long_categories_are_turned_and_keep_their_bars_apart():
    categories = [f"Structure partenaire n°{index}" for index in range(60)]
    root = parse(grouped_bars_svg(categories, [Series("S", list(range(60)))], title="T"))
    labels = [
        text
        for text in root.iter(f"{{{NS['svg']}}}text")
        if "Structure" in "".join(text.itertext())
    ]
    assert len(labels) == 60 and all("rotate(-45" in label.get("transform") for label in labels)
    assert {"".join(label.itertext()) for label in labels} == set(categories)  # none cut short
    bars = rects(root, "bar")
    lefts = [float(bar.get("x")) for bar in bars]
    assert min(b - a for a, b in itertools.pairwise(lefts)) >= 18


def test_series_must_have_a_value_per_category():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        grouped_bars_svg(MONTHS, [Series("Reçus", [1, 2])], title="T")


def test_same_data_give_the_same_svg_and_different_charts_different_ids():
    first = bar_chart_svg([Bar("Nice", 1)], title="A", value_label="V")
    assert first == bar_chart_svg([Bar("Nice", 1)], title="A", value_label="V")
    second = bar_chart_svg([Bar("Nice", 2)], title="A", value_label="V")
    assert parse(first).get("aria-labelledby") != parse(second).get("aria-labelledby")
