"""The privacy notice, public and in French, and the processing register staff download:
both say what the settings say."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories
from tests.pdfs import pdf_text

PAGE = "/donnees-personnelles/"
REGISTER = "/donnees-personnelles/registre.pdf"


def test_anyone_reads_the_privacy_page_in_french(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    for heading in ("Responsable du traitement", "Vos droits et comment les exercer", "CNIL"):
        assert heading in page.text


def test_every_page_links_to_it_from_its_footer(client, auth):
    assert f'href="{PAGE}"' in client.get("/login").text
    auth.login(factories.user(Role.RELAY))
    assert f'href="{PAGE}"' in client.get("/relais", follow_redirects=True).text


def test_the_page_names_the_bank_as_controller(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BANK_NAME", "Banque du Numérique de Menton")
    monkeypatch.setitem(app.config, "BANK_ADDRESS", "3 rue Partouneaux")
    monkeypatch.setitem(app.config, "BANK_CITY", "Menton")
    monkeypatch.setitem(app.config, "BANK_CONTACT", "rgpd@bn-menton.example")
    page = client.get(PAGE).text
    for value in ("Banque du Numérique de Menton", "3 rue Partouneaux", "Menton"):
        assert value in page
    assert "rgpd@bn-menton.example" in page


def test_the_page_states_the_legal_bases(client):
    page = client.get(PAGE).text
    assert "Mission d&#39;intérêt public" in page and "article 6.1.e" in page
    assert "Consentement de la personne" in page and "article 6.1.a" in page


DELAYS = [
    ("RETENTION_MONTHS", 18, "anonymisés après 18 mois"),
    ("AUDIT_IP_RETENTION_MONTHS", 3, "effacées après 3 mois"),
    ("OUTBOX_RETENTION_DAYS", 9, "supprimés après 9 jours"),
    ("INVENTORY_UPLOAD_RETENTION_DAYS", 45, "supprimés après 45 jours"),
    ("JOB_RESULT_RETENTION_HOURS", 6, "effacés après 6 heures"),
    ("IDEMPOTENCY_KEY_TTL_HOURS", 6, "effacées après 6 heures, et dès"),
    ("API_TOKEN_MAX_AGE_DAYS", 30, "valables 30 jours"),
    ("SET_PASSWORD_LINK_MAX_AGE", 3 * 86400, "valable 3 jours"),
    ("EMAIL_CONFIRMATION_MAX_AGE", 24 * 3600, "valable 24 heures"),
]


@pytest.mark.parametrize(("setting", "value", "shown"), DELAYS)
def test_the_page_shows_each_delay_from_its_setting(
    app, client, monkeypatch, setting, value, shown
):
    assert shown not in client.get(PAGE).text
    monkeypatch.setitem(app.config, setting, value)
    assert shown in client.get(PAGE).text


def test_the_defaults_are_the_ones_the_page_shows(client):
    page = client.get(PAGE).text
    for shown in (
        "anonymisés après 12 mois",
        "effacées après 6 mois",
        "supprimés après 30 jours",
        "effacés après 24 heures",
        "effacées après 24 heures, et dès l&#39;anonymisation de la personne",
        "valable 7 jours",
        "valable 48 heures",
        "valables 90 jours",
    ):
        assert shown in page


def test_staff_download_the_register_with_the_same_figures(app, client, auth, monkeypatch):
    auth.login(factories.user(Role.STAFF))
    assert REGISTER in client.get(PAGE).text
    for setting, value, _ in DELAYS:
        monkeypatch.setitem(app.config, setting, value)
    monkeypatch.setitem(app.config, "BANK_NAME", "Banque du Numérique de Menton")
    response = client.get(REGISTER)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.data).split())
    assert "Registre des activités de traitement" in text
    assert "Banque du Numérique de Menton" in text
    page = " ".join(client.get(PAGE).text.split())
    for _, _, shown in DELAYS:
        assert shown in text and shown in page


@pytest.mark.parametrize("role", [Role.RELAY, Role.DONOR, Role.REFURBISHER, Role.ADVISOR])
def test_other_roles_neither_see_nor_download_the_register(client, auth, role):
    auth.login(factories.user(role))
    assert REGISTER not in client.get(PAGE).text
    assert client.get(REGISTER).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in_for_the_register(client):
    assert REGISTER not in client.get(PAGE).text
    response = client.get(REGISTER)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_without_a_configured_address_the_page_prints_no_gap(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BANK_ADDRESS", None)
    page = client.get(PAGE).text
    assert "None" not in page and app.config["BANK_CITY"] in page
    auth_staff = factories.user(Role.STAFF)
    client.post("/login", data={"email": auth_staff.email, "password": factories.PASSWORD})
    register = pdf_text(client.get(REGISTER).data)
    assert "None" not in register and app.config["BANK_NAME"] in register
