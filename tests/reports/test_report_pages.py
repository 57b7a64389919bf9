"""Report pages, exports and API as their users meet them: who may open what, bad input,
files that open in French Excel, masked open data, every export in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from equipbank.audit.models import AuditEvent
from equipbank.clock import today
from equipbank.codes import Role
from tests import factories

PAILLONS = "240600593"


@pytest.fixture
def staff(client, auth):
    user = factories.user(Role.STAFF)
    auth.login(user)
    return user


@pytest.fixture
def escarene_six():
    """Six people equipped at L'Escarène (above the threshold), one at Peille (below)."""
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR)
    day = today() - timedelta(days=3)
    for index in range(6):
        factories.equipped(
            relay_user, commune="06057", on=day, advisor_=advisor, followup_done=index < 2
        )
    factories.equipped(relay_user, commune="06091", on=day, advisor_=advisor, followup_done=True)


STAFF_PAGES = [
    "/rapports/communes",
    "/rapports/communes.csv",
    "/rapports/communes.xlsx",
    "/rapports/communes-donnees-ouvertes.csv",
    "/rapports/stock",
    "/rapports/stock.csv",
    "/rapports/indicateurs",
]


@pytest.mark.parametrize("role", [Role.RELAY, Role.DONOR, Role.ADVISOR, Role.REFURBISHER])
def test_reports_are_for_staff(client, auth, api_token, role):
    user = factories.user(role)
    auth.login(user)
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.get("/rapports/impact").status_code == (200 if role == Role.DONOR else 403)
    headers = api_token(user)
    for path in ("/api/v1/reports/communes", "/api/v1/reports/stock"):
        assert client.get(path, headers=headers).status_code == 403, path


def test_the_page_fills_in_the_default_period_and_sorts(client, staff, escarene_six):
    page = client.get("/rapports/communes").get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in page  # "Au": today, shown although not typed
    assert 'aria-sort="descending"' in page  # by equipped beneficiaries, most first
    assert page.index("L&#39;Escarène") < page.index("Peille")
    page = client.get("/rapports/communes", query_string={"sort": "name", "order": "asc"}).get_data(
        as_text=True
    )
    assert 'aria-sort="ascending"' in page
    assert page.index("L&#39;Escarène") < page.index("Peille")
    page = client.get(
        "/rapports/communes", query_string={"sort": "name", "order": "desc"}
    ).get_data(as_text=True)
    assert page.index("Peille") < page.index("L&#39;Escarène")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-05-01", "to": "2026-01-01"}, "précède la date de début"),
        ({"from": "1850-01-01"}, "Choisissez une date entre le 01/01/2000 et le 31/12/2099"),
        ({"to": "2026-02-31"}, "date"),
        ({"department": "99"}, "Département inconnu : « 99 »"),
        ({"epci": "000000000"}, "EPCI inconnu"),
        ({"relay": "abc"}, "Choix non valide"),
        ({"department": "", "with_zeros": "y"}, "Choisissez un EPCI ou un département"),
        ({"sort": "password"}, "Tri inconnu"),
    ],
)
def test_bad_filters_say_what_is_wrong(client, staff, query, message):
    for path in ("/rapports/communes", "/rapports/communes.csv"):
        response = client.get(path, query_string=query)
        assert response.status_code == 422, (path, query)
        assert message in response.get_data(as_text=True)


def test_bad_dates_on_the_other_reports(client, staff):
    query = {"from": "2026-05-01", "to": "2026-01-01"}
    for path in ("/rapports/indicateurs", "/rapports/impact"):
        response = client.get(path, query_string=query)
        assert response.status_code == 422
        assert "précède la date de début" in response.get_data(as_text=True)
    response = client.get("/rapports/impact.pdf")
    assert response.status_code == 422
    assert "Choisissez un donateur." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"from": "not-a-date"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"department": "99"}, "department"),
        ({"epci": "000000000"}, "epci"),
        ({"epci": "1" * 50}, "epci"),
        ({"grouping": "region"}, "grouping"),
        ({"with_zeros": "maybe"}, "with_zeros"),
        ({"relay": "-1"}, "relay"),
        ({"department": "٠٦"}, "department"),  # digits, but not those of a code
    ],
)
def test_the_api_names_the_wrong_parameter(client, api_token, query, field):
    response = client.get(
        "/api/v1/reports/communes",
        query_string=query,
        headers=api_token(factories.user(Role.STAFF)),
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error


def _csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_and_xlsx_exports_hold_the_table(client, staff, escarene_six):
    response = client.get("/rapports/communes.csv", query_string={"epci": PAILLONS})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    assert [(row["Code INSEE"], row["Commune"], row["Bénéficiaires équipés"]) for row in rows] == [
        ("06057", "L'Escarène", "6"),
        ("06091", "Peille", "1"),
    ]
    assert rows[0]["Taux de suivi (%)"] == "33,3"  # decimal comma
    workbook = load_workbook(
        io.BytesIO(client.get("/rapports/communes.xlsx", query_string={"epci": PAILLONS}).data)
    )
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Code INSEE", "Commune"]
    assert values[1][:2] == ["06057", "L'Escarène"]
    assert 6 in values[1]


def test_open_data_masks_small_counts(app, client, staff, escarene_six):
    rows = _csv_rows(
        client.get(
            "/rapports/communes-donnees-ouvertes.csv",
            query_string={"epci": PAILLONS, "with_zeros": "y"},
        ).data
    )
    by_code = {row["Code INSEE"]: row for row in rows}
    assert len(by_code) == 11
    escarene, peille, contes = by_code["06057"], by_code["06091"], by_code["06048"]
    assert (escarene["Bénéficiaires équipés"], escarene["Remises"]) == ("6", "6")
    assert (
        escarene["Suivis réalisés"] == "< 5" and escarene["Taux de suivi (%)"] == ""
    )  # 2 follow-ups
    assert (peille["Bénéficiaires équipés"], peille["Remises"], peille["Suivis réalisés"]) == (
        "< 5",
    ) * 3
    assert peille["Équipés pour 1 000 habitants"] == ""  # would give the count back
    assert contes["Bénéficiaires équipés"] == "0"  # nobody equipped identifies nobody
    # Always in code order: an order by the true rate would rank the masked cells.
    for sort in ("per_thousand", "followups_done"):
        query = {"epci": PAILLONS, "with_zeros": "y", "sort": sort, "order": "desc"}
        rows = _csv_rows(
            client.get("/rapports/communes-donnees-ouvertes.csv", query_string=query).data
        )
        codes = [row["Code INSEE"] for row in rows]
        assert codes == sorted(codes)
    app.config["REPORT_MASK_THRESHOLD"] = 2
    try:
        rows = _csv_rows(
            client.get(
                "/rapports/communes-donnees-ouvertes.csv", query_string={"epci": PAILLONS}
            ).data
        )
    finally:
        app.config["REPORT_MASK_THRESHOLD"] = 5
    assert {row["Code INSEE"]: row["Suivis réalisés"] for row in rows} == {
        "06057": "2",
        "06091": "< 2",
    }


def test_every_export_is_audited_with_its_checked_filters_only(
    client, staff, api_token, escarene_six
):
    # Free text in the URL (a name typed by mistake) never reaches the append-only log.
    client.get("/rapports/communes.csv", query_string={"epci": PAILLONS, "note": "Jean Dupont"})
    client.get("/rapports/communes-donnees-ouvertes.csv")
    client.get("/rapports/stock.xlsx")
    headers = api_token(staff)
    client.get("/api/v1/reports/communes", headers=headers)
    client.get("/api/v1/reports/stock", headers=headers)
    events = factories.db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "report.export").order_by(AuditEvent.id)
    ).all()
    assert [(e.summary["report"], e.summary["format"], e.actor_id) for e in events] == [
        ("communes", "csv", staff.id),
        ("open_data", "csv", staff.id),
        ("stock", "xlsx", staff.id),
        ("communes", "json", staff.id),
        ("stock", "json", staff.id),
    ]
    filters = events[0].summary["filters"]
    assert filters["epci"] == PAILLONS and filters["to"] == today().isoformat()
    assert "Jean Dupont" not in str([e.summary for e in events])


def test_the_stock_api_keeps_the_contract(client, api_token, escarene_six):
    body = client.get(
        "/api/v1/reports/stock", headers=api_token(factories.user(Role.STAFF))
    ).get_json()
    assert body["rows"] == [
        {"status": "handed_over", "category": "laptop", "grade": "B", "count": 7}
    ]
    assert body["total"] == 7
    assert len(body["monthly_flows"]) == 12
    assert body["monthly_flows"][-1]["handed_over"] + body["monthly_flows"][-2]["handed_over"] == 7
    assert body["ready_to_handover"]["devices"] == 7


def test_the_stock_page_and_its_export(client, staff, escarene_six):
    page = client.get("/rapports/stock").get_data(as_text=True)
    assert "Remis" in page and "<svg" in page
    rows = _csv_rows(client.get("/rapports/stock.csv").data)
    assert rows == [
        {"Statut": "Remis", "Catégorie": "Ordinateur portable", "Grade": "B", "Équipements": "7"}
    ]


def test_the_indicators_page_speaks_the_roadmaps_words(client, staff, escarene_six):
    page = client.get("/rapports/indicateurs", query_string={"epci": PAILLONS}).get_data(
        as_text=True
    )
    assert "Fiche action n°2" in page and "Fiche action n°3" in page
    assert "CC du Pays des Paillons" in page
    assert "bénéficiaires équipés en matériel reconditionné" in page


def test_staff_choose_the_donor_of_an_impact_report(client, staff):
    donor = factories.organisation("donor", name="Riviera Solutions")
    factories.ready_device(factories.donation(donor))
    page = client.get("/rapports/impact").get_data(as_text=True)
    assert "Choisissez un donateur" in page
    page = client.get("/rapports/impact", query_string={"donor": donor.id}).get_data(as_text=True)
    assert "Riviera Solutions" in page and "Télécharger le rapport PDF" in page
    relay = factories.organisation("relay")
    assert client.get("/rapports/impact", query_string={"donor": relay.id}).status_code == 404


def test_the_openapi_document_describes_the_reports(client):
    document = client.get("/api/v1/openapi.json").get_json()
    communes = document["paths"]["/api/v1/reports/communes"]["get"]
    assert {p["name"] for p in communes["parameters"]} >= {"from", "to", "department", "epci"}
    assert "/api/v1/reports/stock" in document["paths"]
    row = document["components"]["schemas"]["CommuneRow"]["properties"]
    assert {
        "code",
        "name",
        "epci_name",
        "population",
        "equipped_beneficiaries",
        "handovers",
        "followups_done",
    } <= set(row)


def test_the_api_takes_an_empty_value_as_not_set(client, api_token, escarene_six):
    query = {"category": "", "grouping": "", "sort": "", "order": "", "department": "", "epci": ""}
    response = client.get(
        "/api/v1/reports/communes",
        query_string=query,
        headers=api_token(factories.user(Role.STAFF)),
    )
    assert response.status_code == 200
    assert response.get_json()["totals"]["equipped_beneficiaries"] == 7


def test_reports_open_on_the_banks_departement_and_france_is_a_choice(client, staff, app):
    assert app.config["BANK_DEPARTMENT"] == "06"
    opened = client.get("/rapports/communes")
    assert opened.status_code == 200
    assert '<option selected value="06">06 – Alpes-Maritimes</option>' in opened.text
    assert "68 952 941" not in opened.text  # not the whole country's population
    everywhere = client.get("/rapports/communes", query_string={"department": ""})
    assert '<option selected value="">Tous les départements</option>' in everywhere.text
    indicators = client.get("/rapports/indicateurs")
    assert '<option selected value="06">06 – Alpes-Maritimes</option>' in indicators.text


def test_the_default_export_covers_the_same_territory_as_the_page(client, staff, escarene_six):
    outside = factories.user(Role.RELAY)
    factories.equipped(outside, commune="75056", on=today() - timedelta(days=3))
    rows = list(csv.reader(io.StringIO(client.get("/rapports/communes.csv").text), delimiter=";"))
    communes = {row[1] for row in rows[1:]}
    assert "L'Escarène" in communes and "Paris" not in communes


def test_twelve_last_months_is_a_rolling_year_not_the_calendar_year(client, staff):
    from equipbank.reports.period import one_year_to

    page = client.get("/rapports/communes").text
    now = today()
    assert one_year_to(now) == now.replace(year=now.year - 1) + timedelta(days=1) or (
        now.month == 2 and now.day == 29
    )
    assert f"from={one_year_to(now).isoformat()}&amp;to={now.isoformat()}" in page
    assert f">Année {now.year}<" in page
