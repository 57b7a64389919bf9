"""The reports' filter forms: GET forms whose mistakes are shown, never silently dropped.

A report with a filter quietly ignored would print wrong figures under the right title; so
unlike the lists' FilterForm, a wrong date or code is an error on its field (HTTP 422).
The dates are named `from` and `to` in the URL, as in the API.
"""

from __future__ import annotations

from flask import current_app
from wtforms import BooleanField, DateField, HiddenField, SelectField
from wtforms.validators import AnyOf, Optional

from equipbank.codes import BeneficiaryCategory, OrganisationKind, ReportGrouping
from equipbank.db import as_id
from equipbank.forms import Form, OptionalSelectField, choices, enum_choices
from equipbank.geo import services as geo
from equipbank.organisations.services import organisations_of_kinds
from equipbank.reports.communes import SORTS
from equipbank.reports.period import DEPARTMENT_CODE, EARLIEST, LATEST

DATE_LIMITS = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class PeriodForm(Form):
    """The period of a report; both dates optional (the last twelve months by default)."""

    class Meta:
        csrf = False

    start = DateField("Du", name="from", validators=[Optional()], render_kw=DATE_LIMITS)
    end = DateField("Au", name="to", validators=[Optional()], render_kw=DATE_LIMITS)


class ReportForm(PeriodForm):
    """Period and territory, shared by the reports."""

    # Unknown codes are reported by the service ("Département inconnu : 99"), not as "not a
    # valid choice", so the choices are not enforced here.
    department = OptionalSelectField("Département", validate_choice=False)
    epci = OptionalSelectField("Intercommunalité (EPCI)", validate_choice=False)

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        if "department" not in formdata and "epci" not in formdata:
            # A report opened without a territory covers the bank's own (BANK_DEPARTMENT);
            # "Tous les départements" chosen in the form covers the whole country.
            self.department.data = current_app.config["BANK_DEPARTMENT"]
        self.department.choices = choices(
            ((code, f"{code} – {name}") for code, name in geo.departments()),
            blank="Tous les départements",
        )
        self.epci.choices = choices(
            ((code, name) for code, name, _department in geo.epcis(self._department_code())),
            blank="Toutes les intercommunalités",
        )

    def _department_code(self) -> str | None:
        """The chosen département when it looks like one (its EPCIs are then offered)."""
        code = (self.department.data or "").strip().upper()
        return code if DEPARTMENT_CODE.fullmatch(code) else None

    def scope(self) -> dict:
        """The period and territory as the services take them."""
        return {
            "start": self.start.data,
            "end": self.end.data,
            "department": self.department.data or None,
            "epci": self.epci.data or None,
        }


def id_or_none(value) -> int | None:
    """A select's id: empty is None, anything else must be an id (an edited URL is an error,
    not a filter quietly dropped)."""
    if value in (None, ""):
        return None
    identifier = as_id(value)
    if identifier is None:
        raise ValueError(value)  # WTForms says "Choix non valide"
    return identifier


class CommuneReportForm(ReportForm):
    relay = OptionalSelectField("Structure relais", coerce=id_or_none, validate_choice=False)
    category = OptionalSelectField(
        "Public",
        choices=enum_choices(BeneficiaryCategory, blank="Tous les publics"),
        validate_choice=False,
    )
    grouping = SelectField(
        "Regrouper par", choices=enum_choices(ReportGrouping), default=ReportGrouping.COMMUNE
    )
    with_zeros = BooleanField("Afficher aussi les communes sans remise")
    sort = HiddenField(validators=[Optional(), AnyOf(SORTS, message="Tri inconnu.")])
    order = HiddenField(validators=[Optional(), AnyOf(("asc", "desc"), message="Ordre inconnu.")])

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        self.relay.choices = choices(
            (
                (relay.id, relay.name)
                for relay in organisations_of_kinds(OrganisationKind.RELAY, active_only=False)
            ),
            blank="Toutes les structures",
        )

    def options(self) -> dict:
        return {
            "relay_id": self.relay.data,
            "category": self.category.data or None,
            "grouping": self.grouping.data,
            "with_zeros": self.with_zeros.data,
            "sort": self.sort.data or None,
            "descending": None if not self.order.data else self.order.data == "desc",
        }


class ImpactForm(PeriodForm):
    """The donor impact report: staff choose the donor, a donor sees its own."""

    donor = OptionalSelectField("Donateur", coerce=id_or_none, validate_choice=False)

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        self.donor.choices = choices(
            (
                (donor.id, donor.name)
                for donor in organisations_of_kinds(OrganisationKind.DONOR, active_only=False)
            ),
            blank="Choisir un donateur",
        )
