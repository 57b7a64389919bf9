"""A donor's inventory file, through the pages and the API: preview, then one commit."""

from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa

from equipbank.codes import InventoryImportStatus, Role
from equipbank.devices import services as devices
from equipbank.devices.models import Device
from equipbank.donations.inventory import services as inventory
from equipbank.donations.models import Donation, InventoryImport
from equipbank.extensions import db
from tests import factories

HEADER = "Catégorie;Fabricant;Modèle;Numéro de série"


def cp1252_csv(rows: int, *, extra: list[str] = ()) -> bytes:
    lines = [HEADER]
    lines += [f"Ordinateur portable;Dell;Latitude 5490;DL5490-{n:04d}" for n in range(rows - 2)]
    lines += ["Écran;Iiyama;ProLite É2283;IY-0001", "Écran;Iiyama;ProLite É2283;IY-0002"]
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, content: bytes, name: str = "inventaire.csv"):
    return client.post(
        "/dons/importer/",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_twenty_devices_from_a_windows_1252_csv_are_previewed_then_imported_in_one_commit(
    client, donor, auth
):
    response = upload(client, cp1252_csv(20))
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    assert "20 lignes" in preview.text and "Numéro de série (col. 4)" in preview.text
    record = db.session.scalar(sa.select(InventoryImport))
    assert record.mapping["columns"] == {
        "category": 0,
        "brand": 1,
        "model": 2,
        "serial": 3,
        "quantity": None,
    }

    checked = client.post(
        f"/dons/importer/{record.id}/verification",
        data={**record.mapping["columns"], "quantity": "", "default_category": ""},
    )
    assert checked.status_code == 302
    page = client.get(checked.headers["Location"]).text
    assert "Importer le don (20 équipements)" in page and "ProLite É2283" in page
    assert count(Donation) == 0  # a preview saves nothing

    imported = client.post(
        f"/dons/importer/{record.id}/import", data={"postal_code": "06440", "commune_code": "06057"}
    )
    assert imported.status_code == 302
    donation = db.session.scalar(sa.select(Donation))
    assert [(line.category, line.quantity, len(line.serials)) for line in donation.lines] == [
        ("laptop", 18, 18),
        ("screen", 2, 2),
    ]
    assert donation.lines[1].model == "ProLite É2283"

    workshop = factories.user(Role.REFURBISHER)
    for line in donation.lines:
        for serial in line.serials:
            devices.intake(
                donation,
                devices.IntakeData(
                    category=line.category, brand=line.brand, model=line.model, serial=serial
                ),
                actor=workshop,
            )
    db.session.commit()
    tags = db.session.scalars(sa.select(Device.id).where(Device.donation_id == donation.id)).all()
    assert len(set(tags)) == 20
    assert devices.remaining_serials(db.session.get(Donation, donation.id)) == []


def test_a_file_with_errors_imports_nothing_and_says_which_rows(client, donor):
    bad = cp1252_csv(
        5, extra=["Serveur;HP;ProLiant;HP-1", "Ordinateur portable;Dell;Latitude 5490;DL5490-0000"]
    )
    record_id = int(upload(client, bad).headers["Location"].rstrip("/").split("/")[-1])
    client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    page = client.get(f"/dons/importer/{record_id}").text
    assert "Catégorie « Serveur » non reconnue" in page
    assert "« DL5490-0000 » déjà présent ligne 2" in page
    assert "Importer le don" not in page
    refused = client.post(f"/dons/importer/{record_id}/import", data={})
    assert refused.status_code == 302
    assert count(Donation) == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        ("Catégorie;Marque\n".encode("cp1252"), "entete.csv", "aucune ligne"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "ancien.xls", "xls"),
        (b"PK\x03\x04 not really a zip", "casse.xlsx", "XLSX"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, donor, content, name, message):
    response = upload(client, content, name)
    assert response.status_code == 422
    assert message.lower() in response.text.lower()
    assert count(InventoryImport) == 0


def test_too_many_rows_are_refused_with_the_count(client, donor, app, monkeypatch):
    monkeypatch.setitem(app.config, "INVENTORY_MAX_ROWS", 50)
    response = upload(client, cp1252_csv(60))
    assert response.status_code == 422 and "60" in response.text and "50" in response.text


def test_a_large_file_is_checked_and_imported_as_a_background_job(
    client, donor, app, monkeypatch, runner
):
    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 10)
    record_id = int(upload(client, cp1252_csv(40)).headers["Location"].rstrip("/").split("/")[-1])
    checked = client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    if os.environ.get("REDIS_URL"):
        assert checked.headers["Location"].startswith("/taches/")
        progress = client.get(checked.headers["Location"])
        assert "Vérification de 40 lignes" in progress.text
        assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(InventoryImport, record_id).valid_rows == 40
    imported = client.post(f"/dons/importer/{record_id}/import", data={})
    if os.environ.get("REDIS_URL"):
        assert count(Donation) == 0  # queued, not run yet
        assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    assert imported.status_code == 302
    assert count(Donation) == 1
    db.session.expire_all()
    assert db.session.get(InventoryImport, record_id).status == "imported"


def test_confirming_twice_imports_once(client, donor):
    record_id = int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])
    client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    first = client.post(f"/dons/importer/{record_id}/import", data={})
    second = client.post(f"/dons/importer/{record_id}/import", data={}, follow_redirects=True)
    assert first.status_code == 302
    assert count(Donation) == 1
    assert "déjà été importé" in second.text


def test_formula_cells_are_kept_as_text_with_a_warning(client, donor):
    content = cp1252_csv(3, extra=['Ordinateur portable;=HYPERLINK("http://x");@SUM(A1);+33'])
    record_id = int(upload(client, content).headers["Location"].rstrip("/").split("/")[-1])
    client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    page = client.get(f"/dons/importer/{record_id}").text
    assert "jamais comme formule" in page and "Importer le don (4 équipements)" in page
    client.post(f"/dons/importer/{record_id}/import", data={})
    line = db.session.scalar(sa.select(Donation)).lines[-1]
    assert line.brand == '=HYPERLINK("http://x")' and line.model == "@SUM(A1)"


def test_another_donor_cannot_see_an_upload(client, donor, app, auth):
    record_id = int(upload(client, cp1252_csv(3)).headers["Location"].rstrip("/").split("/")[-1])
    other = app.test_client()
    other.post(
        "/login", data={"email": factories.user(Role.DONOR).email, "password": factories.PASSWORD}
    )
    assert other.get(f"/dons/importer/{record_id}").status_code == 404
    assert other.post(f"/dons/importer/{record_id}/import", data={}).status_code == 404


# The API ------------------------------------------------------------------------------------


def test_api_dry_run_reports_rows_and_saves_nothing(client, api_token):
    headers = api_token(factories.user(Role.DONOR))
    response = client.post(
        "/api/v1/donations/import?dry_run=true",
        data={"file": (io.BytesIO(cp1252_csv(20)), "parc.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["rows"], body["valid"], body["errors"], body["donation"]) == (20, 20, [], None)
    assert body["mapping"] == {
        "category": "Catégorie",
        "brand": "Fabricant",
        "model": "Modèle",
        "serial": "Numéro de série",
    }
    assert count(Donation) == 0


def test_api_import_saves_the_donation_or_nothing(client, api_token):
    headers = api_token(factories.user(Role.DONOR))
    bad = cp1252_csv(4, extra=["Serveur;HP;X;S-1"])
    refused = client.post(
        "/api/v1/donations/import?dry_run=false",
        data={"file": (io.BytesIO(bad), "parc.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"]["code"] == "inventory_errors"
    assert body["errors"] == [
        {"row": 6, "field": "category", "message": body["errors"][0]["message"]}
    ]
    assert count(Donation) == 0
    done = client.post(
        "/api/v1/donations/import?dry_run=false",
        data={"file": (io.BytesIO(cp1252_csv(4)), "parc.csv"), "pickup_commune": "06057"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert done.status_code == 201
    donation = done.get_json()["donation"]
    assert donation["status"] == "declared" and donation["declared_quantity"] == 4
    assert db.session.get(Donation, donation["id"]).pickup_commune_code == "06057"


def test_api_import_without_a_file_or_with_a_bad_one_is_422(client, api_token):
    headers = api_token(factories.user(Role.DONOR))
    missing = client.post(
        "/api/v1/donations/import", data={}, headers=headers, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["error"]["fields"]
    binary = client.post(
        "/api/v1/donations/import",
        data={"file": (io.BytesIO(bytes(range(256)) * 4), "x.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert binary.status_code == 422
    assert binary.get_json()["error"]["code"] == "inventory_file"


def test_more_than_a_thousand_identical_rows_make_one_line(client, donor, follow_job):
    content = ("Type;Marque;Modèle\n" + "Portable;Dell;Latitude 5490\n" * 1200).encode("cp1252")
    record_id = int(upload(client, content).headers["Location"].rstrip("/").split("/")[-1])
    follow_job(
        client.post(
            f"/dons/importer/{record_id}/verification",
            data={"category": "0", "brand": "1", "model": "2"},
        )
    )
    follow_job(client.post(f"/dons/importer/{record_id}/import", data={}))
    assert [
        (line.quantity, line.model) for line in db.session.scalar(sa.select(Donation)).lines
    ] == [(1200, "Latitude 5490")]


def test_api_import_refused_by_the_service_still_returns_the_report(client, api_token):
    headers = api_token(factories.user(Role.DONOR))
    response = client.post(
        "/api/v1/donations/import?dry_run=false",
        data={"file": (io.BytesIO(cp1252_csv(4)), "parc.csv"), "preferred_pickup_on": "2001-01-01"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["rows"] == 4 and body["error"]["fields"] == {
        "preferred_pickup_on": ["Choisissez une date à venir."]
    }
    assert count(Donation) == 0


def test_many_distinct_models_import_as_many_lines(client, donor, follow_job):
    content = (
        "Type;Marque;Modèle\n" + "".join(f"Portable;Dell;Modèle {n}\n" for n in range(520))
    ).encode("cp1252")
    record_id = int(upload(client, content).headers["Location"].rstrip("/").split("/")[-1])
    follow_job(
        client.post(
            f"/dons/importer/{record_id}/verification",
            data={"category": "0", "brand": "1", "model": "2"},
        )
    )
    follow_job(client.post(f"/dons/importer/{record_id}/import", data={}))
    assert len(db.session.scalar(sa.select(Donation)).lines) == 520


def test_a_past_pickup_date_is_refused_before_any_job(client, donor, app, monkeypatch):
    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 3)
    monkeypatch.setitem(
        app.config, "REDIS_URL", None
    )  # the check runs inline; the import must not start
    record_id = int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])
    client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    response = client.post(
        f"/dons/importer/{record_id}/import", data={"preferred_pickup_on": "2001-01-01"}
    )
    assert response.status_code == 422 and "Choisissez une date à venir" in response.text
    db.session.expire_all()
    assert db.session.get(InventoryImport, record_id).status == "checked"  # not claimed


def test_an_upload_whose_job_vanished_is_released(client, donor):
    record_id = int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])
    record = db.session.get(InventoryImport, record_id)
    inventory.MACHINE.write(record, InventoryImportStatus.IMPORTING)  # a job was running
    record.job_id = "no-such-job"
    db.session.commit()
    page = client.get(f"/dons/importer/{record_id}")
    assert "de ce fichier s&#39;est interrompue" in page.text
    db.session.expire_all()
    assert db.session.get(InventoryImport, record_id).status == "checked"


def test_an_import_run_twice_at_once_saves_one_donation(client, donor):
    """Two runs of one import job at once (its first worker taken for gone while it was not,
    then the job queued again): the run that finds the upload imported saves nothing."""
    from equipbank.donations import services as donations
    from equipbank.errors import InvalidTransition

    record_id = int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])
    record = db.session.get(InventoryImport, record_id)
    inventory.start_import(record)
    db.session.commit()
    record = db.session.get(InventoryImport, record_id)  # this run reads it importing...
    with db.engine.begin() as other_run:  # ...while the other run saves its import
        other_run.execute(
            sa.update(InventoryImport)
            .where(InventoryImport.id == record_id)
            .values(status=InventoryImportStatus.IMPORTED)
        )
    with pytest.raises(InvalidTransition, match="vient d'être modifié"):
        inventory.import_donation(record, donations.DonationInput(lines=[]), actor=donor)
    db.session.rollback()
    assert count(Donation) == 0


def test_uploads_never_imported_are_purged_after_thirty_days(client, donor, runner):
    from datetime import timedelta

    from equipbank.clock import utcnow

    old = int(upload(client, cp1252_csv(3)).headers["Location"].rstrip("/").split("/")[-1])
    recent = int(upload(client, cp1252_csv(3)).headers["Location"].rstrip("/").split("/")[-1])
    db.session.get(InventoryImport, old).created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = runner.invoke(args=["imports", "purge"])
    assert result.exit_code == 0 and "1 fichier" in result.output
    db.session.expire_all()
    assert db.session.get(InventoryImport, old) is None
    assert db.session.get(InventoryImport, recent) is not None


def test_a_background_import_ends_on_its_donation_with_a_success_message(
    client, donor, app, monkeypatch, follow_job
):
    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 10)
    record_id = int(upload(client, cp1252_csv(40)).headers["Location"].rstrip("/").split("/")[-1])
    follow_job(
        client.post(
            f"/dons/importer/{record_id}/verification",
            data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
        )
    )
    landed = follow_job(client.post(f"/dons/importer/{record_id}/import", data={}))
    if landed.status_code == 302:  # inline: the preview's address, which leads on
        landed = client.get(landed.headers["Location"], follow_redirects=True)
    else:
        landed = client.get(f"/dons/importer/{record_id}", follow_redirects=True)
    donation = db.session.scalar(sa.select(Donation))
    assert landed.request.path == f"/dons/{donation.id}"
    assert f"Don {donation.reference} importé : 40 équipements." in landed.text


def test_the_pickup_address_starts_from_the_donors_own(client, donor):
    company = donor.organisation
    company.address, company.postal_code, company.commune_code = (
        "12 avenue des Tilleuls",
        "06440",
        "06057",
    )
    db.session.commit()
    form = client.get("/dons/nouveau").text
    assert 'value="12 avenue des Tilleuls"' in form and 'value="06440"' in form
    record_id = int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])
    client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    confirm = client.get(f"/dons/importer/{record_id}").text
    assert 'value="12 avenue des Tilleuls"' in confirm
    assert '<option selected value="06057">' in confirm


def test_a_column_no_field_takes_is_named_not_dropped_in_silence(client, donor):
    content = (
        "Catégorie;Marque;Modèle;Numéro de série;Remarque\r\n"
        "Ordinateur portable;Dell;Latitude 5490;DL-1;écran rayé\r\n"
    ).encode("cp1252")
    page = client.get(upload(client, content).headers["Location"]).text
    assert "Colonne non reprise : « Remarque »." in page
    assert "Son contenu ne sera pas importé" in page
