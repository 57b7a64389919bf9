"""The handover form completed with the keyboard alone: Tab from the top of the page, the
skip link, typing, Space on the boxes, Enter to send; never a click."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import expect

from equipbank.clock import PARIS, utcnow
from equipbank.codes import Role
from tests import factories


def same_day_and_month() -> datetime:
    """The next day numbered as its month (12/12), at 14:30: typed the same whether the
    browser shows dd/mm or mm/dd (Debian's Chromium without its chromium-l10n package
    shows its date fields in English order)."""
    day = utcnow().astimezone(PARIS) + timedelta(days=1)
    while day.day != day.month:
        day += timedelta(days=1)
    return day.replace(hour=14, minute=30, second=0, microsecond=0)


def keys(field: str, tag: str, advisor_name: str, starts: datetime) -> list[tuple[str, str]]:
    """What the relay does on reaching each field with Tab: ("type", text) or ("press", key).
    The fields left as they are get nothing."""
    return {
        # A closed select takes typed letters as a search among its options.
        "device": [("type", tag)],
        "accessories": [("type", "Chargeur")],
        "first_name": [("type", "Lucien")],
        "last_name": [("type", "Giordano")],
        "birth_year": [("type", "2004")],
        # A postal code with one commune (Èze): chosen without a pick in the commune list.
        "postal_code": [("type", "06360")],
        "category": [("type", "Jeune")],
        "consent": [("press", "Space")],
        "charter_accepted": [("press", "Space")],
        # The first letters: a space would open the list; an "é" is no key Playwright has on
        # its keyboard (it inserts the text, which a closed select does not take).
        "advisor": [("type", advisor_name[:2])],
        # Day and month move on once typed; a year may have 6 digits: → to the hour.
        "starts_at": [
            ("type", starts.strftime("%d%m%Y")),
            ("press", "ArrowRight"),
            ("type", starts.strftime("%H%M")),
        ],
        "place": [("type", "Salle 2, Carrefour des Paillons")],
    }.get(field, [])


def test_a_handover_is_completed_with_the_keyboard_alone(walk):
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(
        Role.ADVISOR, organisation_=relay_user.organisation, name="Zoé Keyboard"
    )
    device = factories.at_relay(relay_user)
    starts = same_day_and_month()
    way = walk("relay")
    way.login(relay_user)
    way.goto("/remises/nouvelle")
    page = way.page

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")  # the skip link: the next Tab is in the content

    reached: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const element = document.activeElement;
                return {id: element.id, tag: element.tagName, text: element.textContent.trim(),
                        visible: getComputedStyle(element).outlineStyle !== 'none',
                        inMain: !!element.closest('main')};
            }"""
        )
        assert focused["inMain"], f"Tab left the content after {reached}"
        assert focused["visible"], f"no visible focus on {focused}"
        if focused["tag"] == "BUTTON" and focused["text"].startswith("Prendre "):
            continue  # the advisor's free times of that day: the hour is typed here instead
        if focused["tag"] == "BUTTON":
            assert focused["text"] == "Enregistrer la remise et le rendez-vous"
            break
        if reached and reached[-1] == focused["id"]:
            continue  # the next part of a date, its calendar button
        reached.append(focused["id"])
        for kind, text in keys(focused["id"], device.tag, advisor.name, starts):
            if kind == "type":
                page.keyboard.type(text)
            else:
                page.keyboard.press(text)
    else:
        raise AssertionError(f"the submit button is never reached: {reached}")

    # Every field of the form on the way, in reading order.
    assert reached[:4] == ["device", "accessories", "beneficiary_id", "first_name"], reached
    for before, after in [
        ("first_name", "last_name"),
        ("last_name", "birth_year"),
        ("postal_code", "commune_code"),
        ("consent", "charter_accepted"),
        ("charter_accepted", "advisor"),
        ("advisor", "starts_at"),
        ("location_type", "place"),
    ]:
        assert reached.index(before) < reached.index(after), reached
    expect(page.locator("#device")).to_have_value(device.tag)
    expect(page.locator("#advisor")).to_have_value(str(advisor.id))
    expect(page.locator("#category")).to_have_value("young")
    expect(page.locator("#starts_at")).to_have_value(starts.strftime("%Y-%m-%dT%H:%M"))
    way.step("filled with the keyboard")

    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text(f"{device.tag} remis")
    way.step("handed over")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remise")
