"""One home page per role; `/` sends each user to theirs."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from equipbank import health
from equipbank.appointments import reminders
from equipbank.appointments import services as appointments
from equipbank.auth.permissions import logged_in, roles
from equipbank.beneficiaries import services as beneficiaries
from equipbank.codes import DeviceStatus, Role
from equipbank.config import settings_to_fill
from equipbank.devices import services as devices
from equipbank.donations import services as donations
from equipbank.handovers import services as handovers
from equipbank.home.navigation import navigation
from equipbank.organisations import services as organisations
from equipbank.requests import services as requests

bp = Blueprint("home", __name__)

HOME_ENDPOINTS = {
    Role.STAFF: "home.staff",
    Role.DONOR: "home.donor",
    Role.REFURBISHER: "home.refurbisher",
    Role.RELAY: "home.relay",
    Role.ADVISOR: "home.advisor",
}


@bp.app_context_processor
def inject_navigation():
    return {"navigation": navigation}


@bp.route("/")
@logged_in
def index():
    return redirect(url_for(HOME_ENDPOINTS[Role(current_user.role)]))


@bp.route("/equipe")
@roles(Role.STAFF)
def staff():
    return render_template(
        "home/staff.html",
        counts=devices.status_counts(),
        unvalidated=organisations.donors_to_validate(),
        to_plan=donations.pickups_to_plan(),
        unsent_reminders=reminders.unsent_reminders_count(),
        to_fill=settings_to_fill(current_app.config),
    )


@bp.route("/admin/etat")
@roles(Role.STAFF)
def service_status():
    """The figures of /api/v1/health, in French, for the staff."""
    return render_template(
        "home/service_status.html",
        figures=health.report(),
        to_fill=settings_to_fill(current_app.config),
    )


@bp.route("/donateur")
@roles(Role.DONOR)
def donor():
    declared, received = donations.donor_totals(current_user.organisation_id)
    return render_template("home/donor.html", donations=declared, devices=received)


@bp.route("/atelier")
@roles(Role.REFURBISHER)
def refurbisher():
    return render_template(
        "home/refurbisher.html",
        counts=devices.status_counts(
            DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING, DeviceStatus.READY
        ),
        expected=donations.expected_at_workshop(),
    )


@bp.route("/relais")
@roles(Role.RELAY)
def relay():
    relay_id = current_user.organisation_id
    reserved = requests.active_reservations(relay_id)
    on_shelf = devices.at_relay(relay_id)
    counts = {
        DeviceStatus.RESERVED: len(reserved),
        DeviceStatus.AT_RELAY: len(on_shelf),
        DeviceStatus.HANDED_OVER: handovers.open_handover_count(relay_id),
    }
    overdue = appointments.overdue_followups(relay_id)
    if overdue:  # the names of the people whose follow-up is late
        beneficiaries.record_list_read(
            current_user, "relay_overdue", count=len({a.beneficiary_id for a in overdue})
        )
    return render_template(
        "home/relay.html",
        counts=counts,
        reserved=reserved,
        at_relay=on_shelf,
        overdue=overdue,
    )


@bp.route("/conseiller")
@roles(Role.ADVISOR)
def advisor():
    agenda = appointments.agenda(current_user)
    shown = agenda.today + agenda.this_week + agenda.later + agenda.to_fill
    beneficiaries.record_list_read(
        current_user, "advisor_agenda", count=len({a.beneficiary_id for a in shown})
    )
    # Only an appointment that has started can have missed its reminder: the "à renseigner" ones.
    unsent = reminders.unsent_reminders(agenda.to_fill)
    return render_template("home/advisor.html", agenda=agenda, unsent=unsent)
