"""The workshop's pages: intake at the keyboard, reconditioning, labels, QR and scan pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from equipbank.codes import Role
from equipbank.devices.models import Device, ErasureRecord
from equipbank.donations.models import DonationLine
from equipbank.extensions import db
from tests import factories
from tests.pdfs import decode_labels


@pytest.fixture
def workshop(auth):
    user = factories.user(Role.REFURBISHER)
    auth.login(user)
    return user


def test_intake_with_a_scanner_keeps_the_model_and_clears_the_serial(client, workshop):
    donation = factories.donation(
        lines=[DonationLine(category="laptop", quantity=3, brand="Dell", model="Latitude 5490")]
    )
    line_id = donation.lines[0].id
    first = client.post(
        f"/dons/{donation.id}/reception",
        data={
            "line_id": line_id,
            "category": "laptop",
            "brand": "Dell",
            "model": "Latitude 5490",
            "serial": "SN-0001",
        },
    )
    assert first.status_code == 302
    page = client.get(first.headers["Location"]).text
    device = db.session.scalar(sa.select(Device))
    assert f'<strong class="ref">{device.tag}</strong> enregistré' in page
    assert page.count('class="notice') == 1  # one banner, not a flash beside it
    assert 'value="Latitude 5490"' in page
    assert re.search(r'<input[^>]*autofocus[^>]*name="serial"[^>]*value=""', page)
    assert "(1/3)" in page  # the declared line counts what arrived
    again = client.post(
        f"/dons/{donation.id}/reception",
        data={
            "line_id": line_id,
            "category": "laptop",
            "brand": "Dell",
            "model": "Latitude 5490",
            "serial": "SN-0001",
        },
    )
    assert again.status_code == 422
    assert f"Déjà enregistré : {device.tag}." in again.text and 'aria-invalid="true"' in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 1


def test_the_workshop_page_walks_a_device_to_ready(client, workshop):
    device = factories.device()
    refused = client.post(
        f"/equipements/{device.tag}/grade",
        data={"grade": "A", "functional_tests_passed": "y", "ready": "1"},
    )
    assert refused.status_code == 422 and "effacement des données réussi" in refused.text
    db.session.expire_all()
    assert db.session.get(Device, device.id).status != "ready"

    assert (
        client.post(
            f"/equipements/{device.tag}/diagnostic",
            data={
                "cpu": "i5-8350U",
                "ram_gb": "8",
                "storage_gb": "256",
                "keyboard_layout": "AZERTY",
            },
        ).status_code
        == 302
    )
    erased = client.post(
        f"/equipements/{device.tag}/effacement",
        data={
            "method": "certified_software",
            "tool": "Blancco 7",
            "certificate_ref": "BLC-1",
            "operator": "",
            "performed_at": "2026-11-20T10:30",
            "result": "success",
        },
    )
    assert erased.status_code == 302
    ready = client.post(
        f"/equipements/{device.tag}/grade",
        data={"grade": "A", "functional_tests_passed": "y", "ready": "1"},
    )
    assert ready.status_code == 302
    db.session.expire_all()
    device = db.session.get(Device, device.id)
    assert (device.status, device.grade, device.ram_gb, device.keyboard_layout) == (
        "ready",
        "A",
        8,
        "AZERTY",
    )
    record = db.session.scalar(sa.select(ErasureRecord))
    assert (
        record.operator == workshop.name and record.performed_at.hour == 9
    )  # 10:30 in Paris, stored in UTC
    history = client.get(f"/equipements/{device.tag}").text
    assert (
        "Réceptionné → <strong>En reconditionnement</strong>" in history
        and "<strong>Prêt</strong>" in history
    )


def test_a_recycled_device_leaves_the_workshop_with_its_reason(client, workshop):
    device = factories.at_workshop()
    assert (
        client.post(
            f"/equipements/{device.tag}/sortie", data={"target": "recycled", "reason": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/equipements/{device.tag}/sortie",
            data={"target": "recycled", "reason": "Carte mère HS"},
        ).status_code
        == 302
    )
    page = client.get(f"/equipements/{device.tag}/atelier").text
    assert "n'est plus à l'atelier" in page
    assert "Carte mère HS" in client.get(f"/equipements/{device.tag}").text


def test_a_ready_device_is_sent_back_to_the_workshop_from_its_page(client, workshop):
    """Issue 13, finding 14: from its page, with a reason kept in its history."""
    device = factories.ready_device()
    detail = client.get(f"/equipements/{device.tag}").text
    assert f'href="/equipements/{device.tag}/atelier"' in detail and "Renvoyer à l" in detail
    page = client.get(f"/equipements/{device.tag}/atelier").text
    assert f'action="/equipements/{device.tag}/retour-atelier"' in page
    assert "data-confirm=" in page
    refused = client.post(f"/equipements/{device.tag}/retour-atelier", data={"reason": ""})
    assert refused.status_code == 422 and "Indiquez la raison" in refused.text
    db.session.expire_all()
    assert db.session.get(Device, device.id).status == "ready"
    sent = client.post(
        f"/equipements/{device.tag}/retour-atelier", data={"reason": "Touche Entrée HS"}
    )
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/equipements/{device.tag}/atelier"
    db.session.expire_all()
    device = db.session.get(Device, device.id)
    assert (device.status, device.functional_tests_passed) == ("refurbishing", False)
    history = client.get(f"/equipements/{device.tag}").text
    assert "Prêt → <strong>En reconditionnement</strong> · Touche Entrée HS" in history


def test_label_sheets_of_a_donation_decode_to_each_device_page(client, workshop, follow_job):
    donation = factories.donation()
    devices = [factories.device(donation, serial=f"S-{n}") for n in range(4)]
    response = follow_job(
        client.post(
            f"/dons/{donation.id}/etiquettes",
            data={"layout": "sheet_3x7", "offset": "2", "device": [str(d.id) for d in devices[1:]]},
        )
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    decoded = decode_labels(response.data, "sheet_3x7", count=3, offset=2)
    assert decoded == [f"http://equipbank.test/d/{d.tag}" for d in devices[1:]]  # BASE_URL


def test_a_label_sheet_without_devices_is_refused(client, workshop):
    donation = factories.donation()
    factories.device(donation)
    response = client.post(
        f"/dons/{donation.id}/etiquettes", data={"layout": "sheet_3x7", "offset": "0"}
    )
    assert response.status_code == 422 and "Cochez au moins un équipement" in response.text


def test_a_qr_label_opens_the_device_for_its_viewers_and_a_neutral_page_for_others(client, app):
    donor_user = factories.user(Role.DONOR)
    device = factories.device(factories.donation(donor_user.organisation))
    anonymous = client.get(f"/d/{device.tag}")
    assert anonymous.status_code == 200 and device.tag in anonymous.text
    assert "Dell" not in anonymous.text and donor_user.organisation.name not in anonymous.text
    owner = app.test_client()
    owner.post("/login", data={"email": donor_user.email, "password": factories.PASSWORD})
    assert owner.get(f"/d/{device.tag}").headers["Location"] == f"/equipements/{device.tag}"
    stranger = app.test_client()
    stranger.post(
        "/login", data={"email": factories.user(Role.DONOR).email, "password": factories.PASSWORD}
    )
    answer = stranger.get(f"/d/{device.tag}")
    assert answer.status_code == 200 and "n'est accessible à votre compte" in answer.text
    assert client.get("/d/%3Cscript%3E").status_code == 200


def test_the_scan_page_reads_a_label_url_and_offers_the_next_actions(client, workshop):
    device = factories.device()
    page = client.get(
        "/scanner", query_string={"code": f"http://equipbank.test/d/{device.tag}"}
    )  # BASE_URL
    assert page.status_code == 200
    actions = re.findall(r'<a class="button [a-z]+" href="([^"]+)">', page.text)
    assert actions[0] == f"/equipements/{device.tag}/atelier"
    assert f"/equipements/{device.tag}/etiquette.pdf" in actions


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("bonjour", "numéro d&#39;inventaire"),
        ("http://equipbank.test/phish", "pas une étiquette"),
        ("https://equipbank.autre-departement.fr/d/EB-000001", "une autre application"),
        ("EB-999999", "Aucun équipement"),
    ],
)
def test_the_scan_page_explains_codes_it_cannot_use(client, workshop, code, message):
    page = client.get("/scanner", query_string={"code": code})
    assert page.status_code == 422 and message in page.text


def test_a_relay_cannot_open_a_device_it_does_not_hold(client, auth):
    device = factories.device()
    auth.login(factories.user(Role.RELAY))
    assert client.get(f"/equipements/{device.tag}").status_code == 404
    assert client.get(f"/equipements/{device.tag}/atelier").status_code == 403
    assert device.tag not in client.get("/equipements/").text


def test_one_label_per_page_takes_no_offset(client, workshop):
    donation = factories.donation()
    device = factories.device(donation)
    response = client.post(
        f"/dons/{donation.id}/etiquettes",
        data={"layout": "single", "offset": "3", "device": [str(device.id)]},
    )
    assert response.status_code == 422 and "Sans objet pour une étiquette par page" in response.text


def test_the_intake_page_ignores_a_last_tag_that_is_not_of_the_donation(client, workshop):
    donation = factories.donation()
    other = factories.device()
    for last in ("zzz", other.tag, "EB-999999"):
        page = client.get(f"/dons/{donation.id}/reception?last={last}")
        assert page.status_code == 200 and "enregistré · " not in page.text


def test_a_save_overtaken_by_a_concurrent_one_gets_a_clear_message(workshop):
    """Two requests on one device at the same moment: the one whose copy is stale at commit
    is refused with a message, nothing half-saved (the other request's bump is simulated)."""
    from equipbank.forms import Form
    from equipbank.web import save_or_show

    device = factories.at_workshop()
    stale = db.session.get(Device, device.id)
    with db.engine.begin() as other_request:
        other_request.execute(
            sa.update(Device)
            .where(Device.id == device.id)
            .values(version=Device.version + 1, cpu="i5")
        )
    form = Form(formdata=None, meta={"csrf": False})
    stale.cpu = "i7"
    assert save_or_show(form, lambda: stale) is None
    assert "modifiées par quelqu'un d'autre" in form.form_errors[0]
    db.session.expire_all()
    assert db.session.get(Device, device.id).cpu == "i5"


def test_the_stock_view_counts_by_status_and_filters_by_days_in_stock(client, auth):
    from datetime import timedelta

    from equipbank.clock import utcnow

    old = factories.ready_device()
    old.status_changed_at = utcnow() - timedelta(days=45)
    factories.ready_device()
    factories.device()
    db.session.commit()
    auth.login(factories.user(Role.STAFF))
    page = client.get("/equipements/?category=laptop").text
    assert re.search(r"Prêt</span> <strong>2</strong>", page) and re.search(
        r"Réceptionné</span> <strong>1</strong>", page
    )
    aged = client.get("/equipements/?min_days=30").text
    assert old.tag in aged and re.search(r"Prêt</span> <strong>1</strong>", aged)
    assert "status=ready" in aged and ">45<" in aged
