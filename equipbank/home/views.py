"""One home page per role; `/` sends each user to theirs."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from equipbank.appointments import services as appointments
from equipbank.auth.permissions import logged_in, roles
from equipbank.codes import (
    DeviceStatus,
    DonationStatus,
    OrganisationKind,
    ReservationStatus,
    Role,
)
from equipbank.devices.models import Device
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.home.navigation import navigation
from equipbank.organisations.models import Organisation
from equipbank.requests.models import DeviceRequest, Reservation

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


def _device_counts(*conditions) -> dict[str, int]:
    query = sa.select(Device.status, sa.func.count()).where(*conditions).group_by(Device.status)
    return dict(db.session.execute(query).all())


@bp.route("/equipe")
@roles(Role.STAFF)
def staff():
    unvalidated = db.session.scalars(
        sa.select(Organisation)
        .where(
            Organisation.kind == OrganisationKind.DONOR,
            Organisation.validated_at.is_(None),
            Organisation.is_active.is_(True),
        )
        .order_by(Organisation.created_at)
    ).all()
    to_plan = db.session.scalars(
        sa.select(Donation)
        .where(Donation.status == DonationStatus.DECLARED, Donation.pickup_planned_on.is_(None))
        .order_by(Donation.declared_on)
        .limit(10)
    ).all()
    return render_template(
        "home/staff.html", counts=_device_counts(), unvalidated=unvalidated, to_plan=to_plan
    )


@bp.route("/donateur")
@roles(Role.DONOR)
def donor():
    donations = db.session.scalar(
        sa.select(sa.func.count(Donation.id)).where(
            Donation.donor_id == current_user.organisation_id
        )
    )
    devices = db.session.scalar(
        sa.select(sa.func.count(Device.id))
        .join(Donation)
        .where(Donation.donor_id == current_user.organisation_id)
    )
    return render_template("home/donor.html", donations=donations, devices=devices)


@bp.route("/atelier")
@roles(Role.REFURBISHER)
def refurbisher():
    workshop = (DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING, DeviceStatus.READY)
    expected = db.session.scalars(
        sa.select(Donation)
        .where(Donation.status.in_((DonationStatus.COLLECTED, DonationStatus.RECEIVED)))
        .order_by(Donation.pickup_planned_on.nulls_last(), Donation.id)
        .limit(10)
    ).all()
    return render_template(
        "home/refurbisher.html",
        counts=_device_counts(Device.status.in_(workshop)),
        expected=expected,
    )


@bp.route("/relais")
@roles(Role.RELAY)
def relay():
    relay_id = current_user.organisation_id
    reserved = (
        sa.select(sa.func.count(Reservation.id))
        .join(DeviceRequest)
        .where(DeviceRequest.relay_id == relay_id, Reservation.status == ReservationStatus.ACTIVE)
    )
    at_relay = sa.select(sa.func.count(Device.id)).where(
        Device.holder_id == relay_id, Device.status == DeviceStatus.AT_RELAY
    )
    handed_over = sa.select(sa.func.count(Handover.id)).where(
        Handover.relay_id == relay_id, Handover.returned_at.is_(None)
    )
    counts = {
        DeviceStatus.RESERVED: db.session.scalar(reserved),
        DeviceStatus.AT_RELAY: db.session.scalar(at_relay),
        DeviceStatus.HANDED_OVER: db.session.scalar(handed_over),
    }
    reserved_rows = db.session.scalars(
        sa.select(Reservation)
        .join(DeviceRequest)
        .where(DeviceRequest.relay_id == relay_id, Reservation.status == ReservationStatus.ACTIVE)
        .order_by(Reservation.reserved_at)
    ).all()
    at_relay_rows = db.session.scalars(
        sa.select(Device)
        .where(Device.holder_id == relay_id, Device.status == DeviceStatus.AT_RELAY)
        .order_by(Device.id)
    ).all()
    return render_template(
        "home/relay.html",
        counts=counts,
        reserved=reserved_rows,
        at_relay=at_relay_rows,
        overdue=appointments.overdue_followups(relay_id),
    )


@bp.route("/conseiller")
@roles(Role.ADVISOR)
def advisor():
    return render_template("home/advisor.html", agenda=appointments.agenda(current_user))
