"""Background work on devices: printing label sheets."""

from __future__ import annotations

import sqlalchemy as sa

from equipbank import jobs
from equipbank.devices.labels import Label, render_labels
from equipbank.devices.models import Device
from equipbank.extensions import db
from equipbank.urls import external_url


def render_label_file(device_ids: list[int], layout: str, offset: int) -> dict:
    """The PDF of the devices' labels, in the order given; reads only, so safe to run twice."""
    devices = {
        device.id: device
        for device in db.session.scalars(sa.select(Device).where(Device.id.in_(device_ids)))
    }
    labels = [
        Label(
            tag=device.tag,
            url=external_url("devices.qr", tag=device.tag),  # what the QR label opens
            caption=" ".join(part for part in (device.brand, device.model) if part),
        )
        for device in (devices[i] for i in device_ids if i in devices)
    ]
    content = render_labels(
        labels,
        layout,
        offset=offset,
        title=_bank_name(),
        progress=lambda done, total: jobs.report_progress(
            done, total, f"{done} étiquettes sur {total}"
        ),
    )
    name = labels[0].tag if len(labels) == 1 else f"{len(labels)}-etiquettes"
    return {
        "content": content,
        "content_type": "application/pdf",
        "filename": f"etiquettes-{name}.pdf",
    }


def _bank_name() -> str:
    from flask import current_app

    return current_app.config["BANK_NAME"]
