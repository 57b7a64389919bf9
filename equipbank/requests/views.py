"""Requests for devices: relays ask and receive; staff allocate, release, serve."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.devices import services as devices
from equipbank.requests import services
from equipbank.requests.forms import RequestFilters, RequestForm
from equipbank.requests.models import DeviceRequest
from equipbank.web import paginate, save_and_flash, save_or_show

bp = Blueprint("requests", __name__)


@bp.route("/demandes/")
@roles(Role.STAFF, Role.RELAY)
def index():
    filters = RequestFilters(request.args)
    query = services.visible_requests(current_user).order_by(DeviceRequest.created_at)
    if filters.status.data:
        query = query.where(DeviceRequest.status == filters.status.data)
    elif current_user.role == Role.STAFF:
        query = query.where(DeviceRequest.status.in_(services.OPEN_REQUESTS))
    else:
        query = query.order_by(None).order_by(DeviceRequest.created_at.desc())
    if filters.category.data:
        query = query.where(DeviceRequest.category == filters.category.data)
    page = paginate(query)
    return render_template("requests/index.html", page=page, filters=filters)


@bp.route("/demandes/nouvelle", methods=["GET", "POST"])
@roles(Role.RELAY)
def create():
    form = RequestForm()
    if form.validate_on_submit():
        data = services.RequestData(
            category=form.category.data, quantity=form.quantity.data, note=form.note.data
        )
        created = save_or_show(form, lambda: services.create_request(data, actor=current_user))
        if created is not None:
            flash(f"Demande n° {created.id} envoyée à la Banque du Numérique.", "success")
            return redirect(url_for("requests.detail", request_id=created.id))
    return render_template("requests/form.html", form=form), 422 if form.errors else 200


@bp.route("/demandes/<int:request_id>")
@roles(Role.STAFF, Role.RELAY)
def detail(request_id: int):
    device_request = services.get_request(request_id, viewer=current_user)
    suggested = (
        services.suggested_devices(device_request) if current_user.role == Role.STAFF else []
    )
    return render_template(
        "requests/detail.html",
        device_request=device_request,
        suggested=suggested,
        missing=device_request.quantity - services.counted(device_request),
    )


@bp.route("/demandes/<int:request_id>/attribution", methods=["POST"])
@roles(Role.STAFF)
def allocate(request_id: int):
    device_request = services.get_request(request_id, viewer=current_user)
    tags = request.form.getlist("tags")
    plural = "s" if len(tags) > 1 else ""  # French: 0 and 1 are singular
    save_and_flash(
        lambda: services.allocate(device_request, tags, actor=current_user),
        f"{len(tags)} équipement{plural} réservé{plural} pour {device_request.relay.name}.",
    )
    return redirect(url_for("requests.detail", request_id=request_id))


def _close(request_id: int, action, done: str):
    """Mark served, reject or cancel a request, then back to its page."""
    device_request = services.get_request(request_id, viewer=current_user)
    save_and_flash(lambda: action(device_request, actor=current_user), done)
    return redirect(url_for("requests.detail", request_id=request_id))


@bp.route("/demandes/<int:request_id>/servie", methods=["POST"])
@roles(Role.STAFF)
def mark_served(request_id: int):
    return _close(request_id, services.mark_served, "Demande marquée comme servie.")


@bp.route("/demandes/<int:request_id>/refus", methods=["POST"])
@roles(Role.STAFF)
def reject(request_id: int):
    return _close(request_id, services.reject, "Demande refusée.")


@bp.route("/demandes/<int:request_id>/annulation", methods=["POST"])
@roles(Role.RELAY)
def cancel(request_id: int):
    return _close(request_id, services.cancel, "Demande annulée.")


@bp.route("/reservations/<int:reservation_id>/liberation", methods=["POST"])
@roles(Role.STAFF)
def release(reservation_id: int):
    reservation = services.get_reservation(reservation_id)
    save_and_flash(
        lambda: services.release(reservation, actor=current_user),
        f"Réservation de {reservation.device.tag} libérée : l'équipement revient dans le stock prêt.",
    )
    return redirect(url_for("requests.detail", request_id=reservation.request_id))


@bp.route("/equipements/<tag>/arrivee", methods=["POST"])
@roles(Role.RELAY)
def receive(tag: str):
    """The relay scans or clicks: a device reserved for it has arrived."""
    device = devices.get_device(tag, viewer=current_user)
    if save_and_flash(
        lambda: services.receive(device, actor=current_user),
        f"{device.tag} réceptionné : il est à votre structure, prêt à être remis.",
    ):
        return redirect(url_for("handovers.create", device=device.tag))
    return redirect(
        url_for("devices.scan", code=device.tag)
        if request.form.get("from") == "scan"
        else url_for("home.relay")
    )
