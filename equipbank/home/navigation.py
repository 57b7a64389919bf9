"""The navigation of each role: one list per role, later features add their entries here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from flask_login import current_user

from equipbank.codes import Role


def _to_fill() -> int:
    from equipbank.appointments.services import to_fill_count

    return to_fill_count(current_user)


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    admin_only: bool = False
    # A number shown beside the label (work waiting), computed for the page being shown.
    count: Callable[[], int] | None = None
    # A blueprint whose every page lights this entry up (the reports' tabs).
    section: str | None = None

    @property
    def active(self) -> bool:
        return request.endpoint == self.endpoint or (
            self.section is not None and request.blueprint == self.section
        )


NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.STAFF: (
        NavItem("Tableau de bord", "home.staff"),
        NavItem("Dons", "donations.index"),
        NavItem("Équipements", "devices.index"),
        NavItem("Demandes", "requests.index"),
        NavItem("Remises", "handovers.index"),
        NavItem("Scanner", "devices.scan"),
        NavItem("Rapports", "reports.communes", section="reports"),
        NavItem("Organisations", "organisations.index", admin_only=True),
        NavItem("Comptes", "users.index", admin_only=True),
        NavItem("Journal", "audit.index", admin_only=True),
        NavItem("État du service", "home.service_status"),
    ),
    Role.DONOR: (
        NavItem("Accueil", "home.donor"),
        NavItem("Mes dons", "donations.index"),
        NavItem("Déclarer un don", "donations.create"),
        NavItem("Impact de mes dons", "reports.impact"),
    ),
    Role.REFURBISHER: (
        NavItem("Atelier", "home.refurbisher"),
        NavItem("Réception", "donations.index"),
        NavItem("Équipements", "devices.index"),
        NavItem("Scanner", "devices.scan"),
    ),
    Role.RELAY: (
        NavItem("Accueil", "home.relay"),
        NavItem("Remettre", "handovers.create"),
        NavItem("Bénéficiaires", "beneficiaries.index"),
        NavItem("Remises", "handovers.index"),
        NavItem("Demandes", "requests.index"),
        NavItem("Équipements", "devices.index"),
        NavItem("Scanner", "devices.scan"),
    ),
    Role.ADVISOR: (
        NavItem("Mon agenda", "home.advisor"),
        NavItem("À renseigner", "appointments.to_fill", count=_to_fill),
        NavItem("Mon calendrier", "appointments.calendar"),
    ),
}


def navigation() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = NAVIGATION[Role(current_user.role)]
    return [item for item in items if not item.admin_only or current_user.is_admin]
