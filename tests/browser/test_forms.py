"""The forms as a person meets them: the postal code's communes offered as it is typed, every
error of a submit listed at once in a summary that takes the focus, the charter shown."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from equipbank.clock import PARIS, utcnow
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from tests import factories


def in_a_week() -> str:
    return (utcnow() + timedelta(days=7)).astimezone(PARIS).strftime("%Y-%m-%dT10:00")


def test_a_relay_hands_over_a_device_to_a_new_person_with_a_postal_code_of_several_communes_in_one_submit(
    walk,
):
    relay = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay.organisation, name="Thomas Lambert")
    device = factories.at_relay(relay)
    way = walk("relay")
    way.login(relay)
    way.goto("/remises/nouvelle")
    page = way.page
    page.get_by_label("Équipement").select_option(device.tag)
    page.get_by_label("Prénom").fill("Nadia")
    page.get_by_label("Nom", exact=True).fill("Benali")
    page.get_by_label("Année de naissance").fill("1961")
    page.get_by_label("Code postal").fill("06440")
    commune = page.get_by_label("Commune", exact=True)
    # The communes of 06440 arrive while the person goes on: no submit to get them.
    commune.locator("option", has_text="Blausasc").wait_for(state="attached")
    assert commune.locator("option").all_inner_texts() == [
        "Choisissez la commune…",
        "Blausasc",
        "L'Escarène",
        "Lucéram",
        "Peille",
        "Peillon",
        "Touët-de-l'Escarène",
    ]
    way.step("communes of 06440 offered")
    way.check()
    commune.select_option(label="Blausasc")
    page.get_by_label("Public").select_option(label="Senior isolé")
    page.get_by_label("La personne a été informée").check()
    page.get_by_label("La personne a lu et accepté la charte").check()
    page.get_by_label("Conseiller numérique").select_option(
        label=f"{advisor.name} · {relay.organisation.name}"
    )
    page.get_by_label("Date et heure du rendez-vous").fill(in_a_week())
    page.get_by_role("button", name="Enregistrer la remise et le rendez-vous").click()
    page.wait_for_url(re.compile(r"/remises/\d+$"))
    way.step("handed over")
    db.session.expire_all()
    handover = db.session.scalars(sa.select(Handover)).one()
    assert (handover.device_id, handover.commune_code) == (device.id, "06019")


def test_a_postal_code_typed_again_offers_its_own_communes_and_one_alone_is_chosen(walk):
    relay = factories.user(Role.RELAY)
    way = walk("relay")
    way.login(relay)
    way.goto("/beneficiaires/nouveau")
    page = way.page
    postal_code, commune = (
        page.get_by_label("Code postal"),
        page.get_by_label("Commune", exact=True),
    )
    postal_code.fill("06390")
    commune.locator("option", has_text="Coaraze").wait_for(state="attached")
    commune.select_option(label="Coaraze")
    postal_code.fill("06000")  # Nice alone: nothing to choose
    commune.locator("option", has_text="Nice").wait_for(state="attached")
    assert commune.locator("option").all_inner_texts() == ["Nice"]
    assert page.get_by_role("status").filter(has_text="Nice").count() == 1
    postal_code.fill("99999")
    commune.locator("option", has_text="Aucune commune").wait_for(state="attached")
    assert commune.input_value() == ""


def test_an_empty_submit_lists_every_missing_field_at_once_with_a_summary_that_takes_focus(walk):
    relay = factories.user(Role.RELAY)
    factories.user(Role.ADVISOR, organisation_=relay.organisation)
    factories.at_relay(relay)
    way = walk("relay")
    way.login(relay)
    way.goto("/remises/nouvelle")
    way.page.get_by_role("button", name="Enregistrer la remise et le rendez-vous").click()
    way.page.wait_for_load_state()
    way.step("empty submit")
    summary = way.page.locator(".error-summary")
    assert way.page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    links = dict(
        zip(
            summary.get_by_role("link").evaluate_all("links => links.map(a => a.hash)"),
            summary.get_by_role("link").all_inner_texts(),
            strict=True,
        )
    )
    for field in (
        "device",
        "first_name",
        "last_name",
        "birth_year",
        "postal_code",
        "category",
        "consent",
        "charter_accepted",
        "advisor",
        "starts_at",
    ):
        assert f"#{field}" in links, (field, links)
    # In the page's order, as the person will fix them.
    assert list(links)[:2] == ["#device", "#first_name"]
    assert list(links)[-2:] == ["#advisor", "#starts_at"]
    # Each field in error says so, and points at its message.
    first_name = way.page.get_by_label("Prénom")
    assert first_name.get_attribute("aria-invalid") == "true"
    message = way.page.locator(f"#{first_name.get_attribute('aria-describedby')}")
    assert "obligatoire" in message.inner_text()
    way.check()
    # A link of the summary takes the person to its field.
    summary.get_by_role("link", name="Charte").click()
    assert way.page.evaluate("() => document.activeElement.id") == "charter_accepted"


def test_a_forgotten_password_is_replaced_from_the_login_page_and_old_sessions_end(
    app, walk, smtp_server
):
    user = factories.user(Role.RELAY, email="ines@relais.example")
    before = walk("elsewhere")  # a browser where the person is still signed in
    before.login(user)
    way = walk("reset")
    way.goto("/login")
    way.page.get_by_role("link", name="Mot de passe oublié ?").click()
    way.page.wait_for_url("**/mot-de-passe-oublie")
    way.check()
    way.page.get_by_label("Adresse e-mail").fill(user.email)
    way.page.get_by_role("button", name="Recevoir le lien").click()
    way.page.wait_for_url("**/login")
    assert "Si un compte existe à cette adresse" in way.page.inner_text("main")
    way.step("link asked")
    if app.config.get("REDIS_URL"):  # the email waits for a worker
        assert app.test_cli_runner().invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    (message,) = smtp_server.to(user.email)
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"http://equipbank\.test(/mot-de-passe-oublie/\S+)", body).group(1)

    way.goto(link)
    way.check()
    way.page.get_by_label("Nouveau mot de passe").fill("une autre phrase bien longue")
    way.page.get_by_label("Confirmez le mot de passe").fill("une autre phrase bien longue")
    way.page.get_by_role("button", name="Enregistrer le mot de passe").click()
    way.page.wait_for_url("**/login")
    assert "toutes vos sessions sont fermées" in way.page.inner_text("main")
    way.step("password replaced")
    way.login(user, "une autre phrase bien longue")
    way.step("signed in with it")

    before.page.reload()
    assert "/login" in before.page.url  # the old session ended with the new password
    again = way.page.goto(link)
    assert again is not None and again.status == 404
    assert "plus valable" in way.page.inner_text("main")
