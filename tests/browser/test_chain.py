"""The whole chain in Chromium, each role in its own browser: a donor declares a donation from
its inventory file, the workshop receives, labels, erases and readies the device, a relay asks,
staff allocate, the relay hands the device over with its follow-up appointment, the advisor
records the session, staff read the per-commune report and download it.

Every page reached is photographed and checked (axe-core at desktop and phone width, no
sideways scroll, touch targets): see `conftest.py`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from playwright.sync_api import expect

from equipbank.appointments.models import Appointment
from equipbank.clock import PARIS, utcnow
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories
from tests.pdfs import decode_labels, pdf_text

# A postal code with one commune (Èze, 06059): chosen without a pick in the commune list.
POSTAL_CODE, COMMUNE_CODE, COMMUNE = "06360", "06059", "Èze"
SERIALS = ["DL5490-0001", "DL5490-0002"]


def inventory_csv(tmp_path):
    """The donor's file, as Excel saves it in France: semicolons, Windows-1252."""
    lines = ["Catégorie;Fabricant;Modèle;Numéro de série"]
    lines += [f"Ordinateur portable;Dell;Latitude 5490;{serial}" for serial in SERIALS]
    path = tmp_path / "parc-informatique.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def uses_redis() -> bool:
    """Whether jobs go to Redis (PostgreSQL in CI): a page then shows their progress."""
    return bool(current_app.config.get("REDIS_URL"))


def run_jobs(runner) -> None:
    """A real rq worker runs what the pages queued."""
    result = runner.invoke(args=["rq", "worker", "--burst"])
    assert result.exit_code == 0, result.output


def is_pdf(response) -> bool:
    return response.headers.get("content-type") == "application/pdf"


@contextlib.contextmanager
def pdf_shown(page) -> Iterator[list[bytes]]:
    """The PDFs the page's navigations answer, in Chromium's viewer (whose page hides them)."""
    shown: list[bytes] = []

    def keep(route) -> None:
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        if response.headers.get("content-type") == "application/pdf":
            shown.append(response.body())
        route.fulfill(response=response)

    page.route("**/*", keep)
    try:
        yield shown
    finally:
        page.unroute("**/*", keep)


def flash(way) -> str:
    return way.page.locator(".flashes").inner_text()


def test_the_chain_from_donor_to_report(walk, runner, tmp_path):
    staff = factories.user(Role.STAFF, is_admin=True)
    donor = factories.user(Role.DONOR)
    workshop_user = factories.user(Role.REFURBISHER)
    relay_user = factories.user(Role.RELAY)
    advisor_user = factories.user(
        Role.ADVISOR, organisation_=relay_user.organisation, name="Thomas Lambert"
    )

    # The donor declares a donation from its inventory file.
    donor_way = walk("donor")
    donor_way.goto("/login")
    donor_way.check()
    donor_way.login(donor)
    donor_way.step("donor home")
    donor_way.check()
    donor_way.page.get_by_role("link", name="Importer un inventaire").first.click()
    donor_way.step("import upload")
    donor_way.check()
    donor_way.page.get_by_label("Fichier d'inventaire").set_input_files(inventory_csv(tmp_path))
    donor_way.page.get_by_role("button", name="Déposer le fichier").click()
    expect(donor_way.page.get_by_role("heading", level=1)).to_contain_text("parc-informatique.csv")
    donor_way.step("import mapping")
    donor_way.check()
    donor_way.page.get_by_role("button", name="Vérifier le fichier").click()
    expect(donor_way.page.locator("#resultat")).to_contain_text("Résultat de la vérification")
    donor_way.step("import checked")
    donor_way.check()
    donor_way.page.get_by_role("button", name="Importer le don (2 équipements)").click()
    expect(donor_way.page.locator(".flashes")).to_contain_text("importé : 2 équipements")
    reference = re.search(r"DON-\d+", flash(donor_way)).group()
    donation_url = donor_way.page.url.removeprefix(donor_way.base_url)
    donor_way.step("donation declared")
    donor_way.check()

    # The workshop receives both laptops, prints their labels, erases and readies one.
    desk = walk("workshop")
    desk.login(workshop_user)
    desk.step("workshop home")
    desk.check()
    # On a desk, the menu is not folded: no Menu button, its entries in view.
    expect(desk.page.locator("details.menu > summary")).to_be_hidden()
    desk.page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Réception"
    ).click()
    desk.step("donations to receive")
    desk.check()
    desk.page.get_by_role("link", name=reference).click()
    desk.step("donation before intake")
    desk.check()
    desk.page.get_by_role("link", name="Réceptionner les équipements").click()
    desk.page.get_by_label("Ligne déclarée").select_option(index=1)
    desk.step("intake")
    desk.check()
    tags = []
    for serial in SERIALS:
        desk.page.get_by_label("Numéro de série").fill(serial)
        desk.page.get_by_label("Numéro de série").press("Enter")
        expect(desk.page.locator(".notice.success")).to_contain_text(serial)
        tags.append(re.search(r"EB-\d+", desk.page.locator(".notice.success").inner_text()).group())
    # One banner says what was just registered, with its label (finding 17: not two).
    expect(desk.page.locator(".notice")).to_have_count(1)
    desk.step("intake done")
    desk.check()
    single = desk.fetch(f"/equipements/{tags[0]}/etiquette.pdf")  # "Imprimer son étiquette"
    assert single.status == 200 and tags[0] in pdf_text(single.body())

    desk.page.get_by_role("link", name="Imprimer les étiquettes").click()
    desk.step("labels")
    desk.check()
    with pdf_shown(desk.page) as sheets, desk.page.expect_response(is_pdf):
        desk.page.get_by_role("button", name="Générer le PDF").click()
        if uses_redis():  # the job's progress page, until a worker has run it
            desk.page.wait_for_url("**/taches/**")
            desk.step("labels job")
            desk.check()
            run_jobs(runner)
    (sheet,) = sheets
    codes = decode_labels(sheet, "sheet_3x7", len(tags))  # the format first offered
    assert [code and code.rsplit("/", 1)[-1] for code in codes] == tags

    tag = tags[0]
    desk.goto(donation_url)  # back from the printer's dialog
    desk.page.get_by_role("link", name=tag).click()
    desk.step("device")
    desk.check()
    desk.page.get_by_role("main").get_by_role("link", name="Atelier", exact=True).click()
    desk.step("workshop device")
    desk.check()
    desk.page.get_by_label("Outil").fill("Blancco Drive Eraser 7")
    desk.page.get_by_label("Référence du certificat").fill("BL-2026-0042")
    desk.page.get_by_role("button", name="Enregistrer l'effacement").click()
    expect(desk.page.locator(".flashes")).to_contain_text(f"Effacement de {tag} enregistré")
    desk.step("erasure recorded")
    desk.check()
    desk.page.get_by_label("Tests fonctionnels réussis").check()
    desk.page.get_by_label("Grade esthétique").select_option("A")
    desk.page.get_by_role("button", name="Enregistrer et marquer « Prêt »").click()
    expect(desk.page.locator(".flashes")).to_contain_text(f"{tag} est prêt")
    desk.step("ready")
    desk.check()

    # The relay asks for a laptop.
    relay = walk("relay")
    relay.login(relay_user)
    relay.step("relay home")
    relay.check()
    relay.page.get_by_role("link", name="Demander des équipements").click()
    relay.step("request form")
    relay.check()
    relay.page.get_by_label("Catégorie").select_option("laptop")
    relay.page.get_by_label("Nombre d'équipements").fill("1")
    relay.page.get_by_role("button", name="Envoyer la demande").click()
    expect(relay.page.locator(".flashes")).to_contain_text("envoyée")
    relay.step("request sent")
    relay.check()

    # Staff allocate the ready laptop.
    bank = walk("staff")
    bank.login(staff)
    bank.step("staff home")
    bank.check()
    bank.page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Demandes"
    ).click()
    bank.step("requests to serve")
    bank.check()
    bank.page.get_by_role("link", name=re.compile(r"^n° \d+$")).first.click()
    expect(bank.page.get_by_label(tag)).to_be_checked()
    bank.step("request to allocate")
    bank.check()
    bank.page.get_by_role("button", name=re.compile("^Réserver pour")).click()
    expect(bank.page.locator(".flashes")).to_contain_text("1 équipement réservé pour")
    bank.step("allocated")
    bank.check()

    # The relay receives it and hands it over to a new person, with the follow-up.
    relay.goto("/relais")
    relay.step("relay home with the reservation")
    relay.check()
    relay.page.get_by_role("button", name="Réceptionner").click()
    expect(relay.page.locator(".flashes")).to_contain_text(f"{tag} réceptionné")
    expect(relay.page.get_by_label("Équipement", exact=True)).to_have_value(tag)
    relay.step("handover form")
    relay.check()
    starts = (utcnow() + timedelta(days=3)).astimezone(PARIS).replace(hour=10, minute=0)
    form = relay.page
    form.get_by_label("Accessoires remis").fill("Chargeur, souris")
    form.get_by_label("Prénom").fill("Rose")
    form.get_by_label("Nom", exact=True).fill("Bianchi")
    form.get_by_label("Année de naissance").fill("1950")
    form.get_by_label("Code postal").fill(POSTAL_CODE)  # one commune: the server takes it
    form.get_by_label("Public").select_option("senior_isolated")
    form.get_by_label("La personne a été informée").check()
    form.get_by_label("La personne a lu et accepté la charte").check()
    form.get_by_label("Conseiller numérique").select_option(str(advisor_user.id))
    form.get_by_label("Date et heure du rendez-vous").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Adresse ou salle").fill("Salle du conseil, mairie d'Èze")
    form.get_by_role("button", name="Enregistrer la remise et le rendez-vous").click()
    expect(relay.page.locator(".flashes")).to_contain_text(f"{tag} remis")
    relay.step("handed over")
    relay.check()
    receipt = relay.fetch(
        relay.page.get_by_role("link", name="Bon de remise (PDF)").get_attribute("href")
    )
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert tag in pdf_text(receipt.body()) and "Bianchi" in pdf_text(receipt.body())

    # The day of the appointment comes (the clock moved by moving the appointment back); the
    # advisor records how it went.
    db.session.execute(
        sa.update(Appointment)
        .values(starts_at=utcnow() - timedelta(hours=2))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    counsel = walk("advisor")
    counsel.login(advisor_user)
    counsel.step("agenda")
    counsel.check()
    counsel.page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^À renseigner")
    ).click()
    counsel.step("to fill")
    counsel.check()
    counsel.page.get_by_role("row", name=re.compile("Rose B")).get_by_role("link").click()
    counsel.step("appointment")
    counsel.check()
    counsel.page.get_by_label("Réalisé").check()
    counsel.page.get_by_label("Durée de la séance (minutes)").fill("75")
    counsel.page.get_by_label("Prise en main de l'appareil").check()
    counsel.page.get_by_label("Messagerie électronique").check()
    counsel.page.get_by_label("Partiellement autonome").check()
    counsel.page.locator("input[name=confidence][value='3']").check()  # "3", among 1 to 4
    counsel.page.get_by_role("button", name="Enregistrer le bilan").click()
    expect(counsel.page.locator(".flashes")).to_contain_text("Bilan enregistré")
    counsel.step("outcome recorded")
    counsel.check()

    # Staff read the report per commune and download it.
    bank.page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Rapports"
    ).click()
    row = bank.page.get_by_role("row", name=re.compile(COMMUNE))
    expect(row).to_be_visible()
    bank.step("report per commune")
    bank.check()
    with bank.page.expect_download() as download:
        bank.page.get_by_role("link", name="Exporter en CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    text = download.value.path().read_text(encoding="utf-8-sig")  # as Excel wants it
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, *lines = rows
    equipped = header.index("Bénéficiaires équipés")
    assert [(line[0], line[1], line[equipped]) for line in lines if COMMUNE_CODE in line] == [
        (COMMUNE_CODE, COMMUNE, "1")
    ], rows

    # The donor follows its donation: one laptop handed over, the other at the workshop.
    donor_way.goto(donation_url)
    expect(donor_way.page.get_by_role("row", name=re.compile(tag))).to_contain_text("Remis")
    donor_way.step("donation followed")
    donor_way.check()
