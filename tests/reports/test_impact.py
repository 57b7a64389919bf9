"""The donor impact report, read back from the PDF as a person would read it."""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import date

import pytest

from equipbank.reports.impact import ImpactFigures, render_impact_report
from equipbank.templating import format_number
from tests.pdfs import BANK, pages_text

DONOR = "Société Générale d’Équipements « Azur »"
FIGURES = ImpactFigures(
    devices_given=1234,
    reconditioned=987,
    recycled=201,
    in_progress=46,
    handed_over=912,
    beneficiaries_equipped=874,
    communes_reached=37,
    followups_done=12345,
)
ZERO = ImpactFigures(*[0] * 8)


def report(figures: ImpactFigures = FIGURES, **changes) -> bytes:
    arguments = {
        "bank": BANK,
        "donor_name": DONOR,
        "period_label": "du 01/01/2026 au 23/11/2026",
        "figures": figures,
        "issued_on": date(2026, 11, 23),
    }
    return render_impact_report(**{**arguments, **changes})


def test_report_gives_the_donor_the_figures_of_the_period():
    pages = pages_text(report())
    assert len(pages) == 1
    text = pages[0]
    assert "Rapport d'impact de vos dons" in text
    assert DONOR in text
    assert "du 01/01/2026 au 23/11/2026" in text
    assert "1\u202f234 équipements donnés" in text
    assert "987 équipements reconditionnés" in text
    assert "46 équipements encore en chemin aujourd'hui (atelier, stock, structures relais)" in text
    assert "201 équipements recyclés (filière DEEE)" in text
    assert "912 équipements remis" in text
    assert "874 personnes équipées" in text
    assert "37 communes touchées" in text
    assert "12\u202f345 rendez-vous de suivi réalisés avec un conseiller numérique" in text


def test_report_explains_the_chain_and_shares_no_personal_data():
    text = pages_text(report())[0]
    assert "entreprise d'insertion" in text
    assert "difficulté numérique et financière" in text
    assert "structures partenaires" in text
    assert "conseiller numérique" in text
    assert "filière DEEE" in text
    assert "aucune donnée personnelle" in text
    assert "contact@banque-numerique.example.org" in text
    assert "Fait à Nice, le 23/11/2026" in text
    assert "Hélène Brémond" in text and "Présidente" in text


def test_every_figure_is_printed_the_french_way():
    big = ImpactFigures(*[1_000_000 + index for index in range(8)])
    text = pages_text(report(big))[0]
    for value in astuple(big):
        assert format_number(value) in text
        assert f"1\u202f000\u202f00{value % 10}" == format_number(value)


def test_zero_and_one_take_the_singular():
    text = pages_text(report(replace(ZERO, devices_given=1, beneficiaries_equipped=1)))[0]
    assert "1 équipement donné" in text
    assert "1 personne équipée" in text
    assert "0 équipement reconditionné" in text
    assert "0 commune touchée" in text
    assert "0 rendez-vous de suivi réalisé" in text


def test_since_the_beginning_and_a_long_donor_name_stay_on_one_page():
    name = "Compagnie Méditerranéenne de Services Informatiques et de Télécommunications du Littoral Azuréen"
    pages = pages_text(report(donor_name=name, period_label="depuis le début"))
    assert len(pages) == 1
    assert "depuis le début" in pages[0] and name in pages[0]
    assert "Page 1 / 1" in pages[0]


def test_figures_are_counts():
    with pytest.raises(ValueError, match="not negative"):
        replace(ZERO, recycled=-1)


def test_same_data_give_the_same_document():
    pdf = report()
    assert pdf.startswith(b"%PDF-")
    assert pdf == report()
