"""Device pages: intake at the workshop, reconditioning, labels, the QR target, scanning."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from equipbank import jobs
from equipbank.auth.permissions import logged_in, public, roles
from equipbank.clock import PARIS, utcnow
from equipbank.codes import DeviceStatus, Role
from equipbank.db import contains_text
from equipbank.devices import categories, services, status, tasks
from equipbank.devices.forms import (
    BackToWorkshopForm,
    DeviceFilters,
    DiagnosticsForm,
    ErasureForm,
    ExitForm,
    GradeForm,
    IntakeForm,
    LabelsForm,
)
from equipbank.devices.models import Device, DeviceEvent, parse_tag
from equipbank.donations import services as donations
from equipbank.errors import DomainError, ValidationFailed
from equipbank.extensions import db
from equipbank.forms import choices, show_domain_error
from equipbank.jobs.views import send_file_result
from equipbank.urls import own_hosts
from equipbank.web import paginate, save_or_show

bp = Blueprint("devices", __name__)

WORKSHOP_ROLES = (Role.STAFF, Role.REFURBISHER)


@bp.route("/equipements/")
@roles(Role.STAFF, Role.REFURBISHER, Role.RELAY, Role.DONOR)
def index():
    filters = DeviceFilters(request.args)
    query = services.visible_devices(current_user).order_by(Device.id.desc())
    if filters.q.data:
        text = filters.q.data.strip()
        device_id = parse_tag(text)
        query = query.where(
            (Device.id == device_id)
            | contains_text(Device.serial, text)
            | contains_text(Device.model, text)
            | contains_text(Device.brand, text)
        )
    for name in ("category", "grade"):
        value = getattr(filters, name).data
        if value:
            query = query.where(getattr(Device, name) == value)
    if filters.min_days.data:
        query = query.where(
            Device.status_changed_at <= utcnow() - timedelta(days=filters.min_days.data)
        )
    # The counts by status follow every other filter: "how many ready laptops of grade A".
    counts = _status_counts(query)
    if filters.status.data:
        query = query.where(Device.status == filters.status.data)
    page = paginate(query)
    return render_template("devices/index.html", page=page, filters=filters, counts=counts)


def _status_counts(query: sa.Select) -> dict[str, int]:
    """How many devices of each status the (filtered) list holds, by the database."""
    rows = query.order_by(None).subquery()
    return dict(
        db.session.execute(sa.select(rows.c.status, sa.func.count()).group_by(rows.c.status))
        .tuples()
        .all()
    )


@bp.route("/equipements/<tag>")
@roles(Role.STAFF, Role.REFURBISHER, Role.RELAY, Role.DONOR)
def detail(tag: str):
    device = services.get_device(tag, viewer=current_user)
    events = db.session.scalars(
        sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.id)
    ).all()
    return render_template(
        "devices/detail.html",
        device=device,
        events=events,
        measures=categories.diagnostic_fields(device.category),
    )


# Workshop ------------------------------------------------------------------------------------


def _workshop_page(device: Device, forms: dict | None = None, code: int = 200):
    forms = forms or {}
    diagnostics = forms.get("diagnostics") or DiagnosticsForm(
        obj=device, formdata=None
    ).for_category(device.category)
    erasure = forms.get("erasure") or ErasureForm(
        formdata=None,
        operator=current_user.name,
        performed_at=utcnow().astimezone(PARIS).replace(tzinfo=None, second=0, microsecond=0),
    )
    grade = forms.get("grade") or GradeForm(obj=device, formdata=None)
    exit_form = forms.get("exit") or ExitForm(formdata=None)
    back = forms.get("back") or BackToWorkshopForm(formdata=None)
    return (
        render_template(
            "devices/workshop.html",
            device=device,
            diagnostics=diagnostics,
            erasure=erasure,
            grade=grade,
            exit_form=exit_form,
            back=back,
            missing=status.ready_missing(device) if device.status in status.WORKSHOP else [],
            needs_erasure=categories.needs_erasure(device.category),
        ),
        code,
    )


@bp.route("/equipements/<tag>/atelier")
@roles(*WORKSHOP_ROLES)
def workshop(tag: str):
    return _workshop_page(services.get_device(tag, viewer=current_user))


def _workshop_action(tag: str, form_name: str, make_form, action, done: str):
    """`make_form(device)`: the submitted form, as the device's page shows it."""
    device = services.get_device(tag, viewer=current_user)
    form = make_form(device)

    def run() -> Device:
        action(device, form)
        return device

    if form.validate_on_submit() and save_or_show(form, run):
        flash(done.format(tag=device.tag), "success")
        return redirect(url_for("devices.workshop", tag=device.tag))
    return _workshop_page(services.get_device(tag), {form_name: form}, 422)


@bp.route("/equipements/<tag>/diagnostic", methods=["POST"])
@roles(*WORKSHOP_ROLES)
def diagnostics(tag: str):
    return _workshop_action(
        tag,
        "diagnostics",
        lambda device: DiagnosticsForm().for_category(device.category),
        lambda device, form: services.record_diagnostics(
            device, form.diagnostics(), actor=current_user
        ),
        "Diagnostic de {tag} enregistré.",
    )


@bp.route("/equipements/<tag>/effacement", methods=["POST"])
@roles(*WORKSHOP_ROLES)
def erasure(tag: str):
    def record(device, form):
        services.record_erasure(
            device,
            services.ErasureData(
                method=form.method.data,
                tool=form.tool.data,
                certificate_ref=form.certificate_ref.data,
                operator=form.operator.data,
                performed_at=_paris(form.performed_at.data),
                result=form.result.data,
            ),
            actor=current_user,
        )

    return _workshop_action(
        tag, "erasure", lambda _device: ErasureForm(), record, "Effacement de {tag} enregistré."
    )


def _paris(value: datetime) -> datetime:
    """A date and time typed in a form is Paris time."""
    return value.replace(tzinfo=PARIS)


@bp.route("/equipements/<tag>/grade", methods=["POST"])
@roles(*WORKSHOP_ROLES)
def grade(tag: str):
    make_ready = "ready" in request.form

    def record(device, form):
        services.grade(
            device,
            grade_code=form.grade.data or None,
            functional_tests_passed=form.functional_tests_passed.data,
            actor=current_user,
        )
        if make_ready:
            services.move(device, DeviceStatus.READY, actor=current_user)

    done = (
        "{tag} est prêt à être attribué." if make_ready else "Grade et tests de {tag} enregistrés."
    )
    return _workshop_action(tag, "grade", lambda _device: GradeForm(), record, done)


@bp.route("/equipements/<tag>/sortie", methods=["POST"])
@roles(*WORKSHOP_ROLES)
def set_aside(tag: str):
    return _workshop_action(
        tag,
        "exit",
        lambda _device: ExitForm(),
        lambda device, form: services.move(
            device, form.target.data, reason=form.reason.data, actor=current_user
        ),
        "{tag} est sorti du circuit de réemploi.",
    )


@bp.route("/equipements/<tag>/retour-atelier", methods=["POST"])
@roles(*WORKSHOP_ROLES)
def back_to_workshop(tag: str):
    """A ready unit goes back to reconditioning (a defect found, a doubt), said why."""
    return _workshop_action(
        tag,
        "back",
        lambda _device: BackToWorkshopForm(),
        lambda device, form: services.move(
            device, DeviceStatus.REFURBISHING, reason=form.reason.data, actor=current_user
        ),
        "{tag} est de retour en reconditionnement.",
    )


# Intake ----------------------------------------------------------------------------------


@bp.route("/dons/<int:donation_id>/reception", methods=["GET", "POST"])
@roles(*WORKSHOP_ROLES)
def intake(donation_id: int):
    """Register each unit: keyboard only, a barcode scanner types the serial and Enter.

    The category, brand and model stay from one unit to the next, so a lot of identical
    laptops is: scan, Enter, scan, Enter.
    """
    donation = donations.get_donation(donation_id, viewer=current_user)
    form = IntakeForm(request.form if request.method == "POST" else request.args)
    received = services.received_per_line(donation)
    form.line_id.choices = choices(
        ((line.id, _line_label(line, received.get(line.id, 0))) for line in donation.lines),
        blank="Aucune (hors déclaration)",
    )
    code = 200
    if request.method == "POST":
        device = form.validate() and save_or_show(
            form,
            lambda: services.intake(
                donation,
                services.IntakeData(
                    category=form.category.data,
                    brand=form.brand.data,
                    model=form.model.data,
                    serial=form.serial.data,
                    line_id=form.line_id.data,
                ),
                actor=current_user,
            ),
        )
        if device:
            # No flash: the page names the unit just registered (`last`), with its label.
            keep = {
                "line_id": form.line_id.data or "",
                "category": form.category.data,
                "brand": form.brand.data or "",
                "model": form.model.data or "",
            }
            return redirect(
                url_for("devices.intake", donation_id=donation.id, last=device.tag, **keep)
            )
        code = 422
    last = _last_registered(donation, request.args.get("last"))
    return (
        render_template(
            "devices/intake.html",
            donation=donation,
            form=form,
            received=received,
            last=last,
            remaining_serials=services.remaining_serials(donation),
            recent=donation.devices[-10:][::-1],
            lines_json=[
                {
                    "id": line.id,
                    "category": line.category,
                    "brand": line.brand or "",
                    "model": line.model or "",
                }
                for line in donation.lines
            ],
        ),
        code,
    )


def _last_registered(donation, tag: str | None) -> Device | None:
    """The unit just registered, named in the URL; ignored when it is not one of this donation."""
    device_id = parse_tag(tag or "")
    return next((device for device in donation.devices if device.id == device_id), None)


def _line_label(line, received: int) -> str:
    from equipbank.codes import DeviceCategory

    what = (
        " ".join(part for part in (line.brand, line.model) if part)
        or DeviceCategory(line.category).label
    )
    return f"{what} ({received}/{line.quantity})"


# Labels ------------------------------------------------------------------------------------


@bp.route("/equipements/<tag>/etiquette.pdf")
@roles(*WORKSHOP_ROLES)
def label(tag: str):
    device = services.get_device(tag, viewer=current_user)
    layout = "sheet_3x7" if request.args.get("format") == "planche" else "single"
    return send_file_result(tasks.render_label_file([device.id], layout, 0))


@bp.route("/dons/<int:donation_id>/etiquettes", methods=["GET", "POST"])
@roles(*WORKSHOP_ROLES)
def labels(donation_id: int):
    donation = donations.get_donation(donation_id, viewer=current_user)
    form = LabelsForm()
    if form.validate_on_submit():
        wanted = {int(value) for value in request.form.getlist("device") if value.isdigit()}
        ids = [device.id for device in donation.devices if device.id in wanted]
        if not ids:
            show_domain_error(form, ValidationFailed("Cochez au moins un équipement."))
        else:
            state = jobs.enqueue(
                tasks.render_label_file,
                ids,
                form.layout.data,
                form.offset.data or 0,
                owner=current_user,
                description=f"Étiquettes du don {donation.reference} ({len(ids)})",
            )
            if state.done:
                return send_file_result(state.result)
            return redirect(
                url_for(
                    "jobs.progress",
                    job_id=state.id,
                    next=url_for("jobs.result_file", job_id=state.id),
                )
            )
    return render_template(
        "devices/labels.html", donation=donation, form=form
    ), 422 if form.errors else 200


# QR codes and scanning -------------------------------------------------------------------


@bp.route("/d/<tag>")
@public
def qr(tag: str):
    """What a QR label opens: the device for those who may see it, a neutral page otherwise."""
    if current_user.is_authenticated:
        try:
            device = services.get_device(services.tag_from_scan(tag), viewer=current_user)
        except DomainError:
            pass
        else:
            return redirect(url_for("devices.detail", tag=device.tag))
    return render_template("devices/qr_public.html", tag=tag[:20]), 200


@bp.route("/scanner")
@logged_in
def scan():
    """The mobile scan page; `?code=` (from the camera or typed) shows the device's actions."""
    code = request.args.get("code", "").strip()
    device, error = None, None
    if code:
        try:
            device = services.get_device(
                services.tag_from_scan(code, hosts=own_hosts()), viewer=current_user
            )
        except ValidationFailed as problem:
            error = problem.message
        except DomainError:
            error = f"Aucun équipement {code[:40]} ne vous est accessible."
    actions = scan_actions(device) if device else []
    return render_template(
        "devices/scan.html", code=code, device=device, error=error, actions=actions
    ), (422 if error else 200)


def scan_actions(device: Device) -> list[tuple[str, str, str]]:
    """What the person who scanned may do next with this device: (label, url, method)."""
    actions = [("Voir la fiche", url_for("devices.detail", tag=device.tag), "get")]
    if current_user.role in WORKSHOP_ROLES:
        if device.status in (*status.WORKSHOP, DeviceStatus.RETURNED):
            actions.insert(
                0,
                (
                    "Atelier : diagnostic, effacement, grade",
                    url_for("devices.workshop", tag=device.tag),
                    "get",
                ),
            )
        if device.status == DeviceStatus.READY:
            actions.append(
                ("Renvoyer à l'atelier", url_for("devices.workshop", tag=device.tag), "get")
            )
        actions.append(("Imprimer l'étiquette", url_for("devices.label", tag=device.tag), "get"))
    elif current_user.role == Role.RELAY:
        if device.status == DeviceStatus.RESERVED:
            actions.insert(
                0,
                (
                    "Réceptionner à ma structure",
                    url_for("requests.receive", tag=device.tag),
                    "post",
                ),
            )
        elif device.status == DeviceStatus.AT_RELAY:
            actions.insert(
                0,
                (
                    "Remettre à un bénéficiaire",
                    url_for("handovers.create", device=device.tag),
                    "get",
                ),
            )
    return actions
