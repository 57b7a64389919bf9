"""The figures of a donor's impact report (rendered as a PDF by `reports.impact`)."""

from __future__ import annotations

import sqlalchemy as sa

from equipbank.codes import DeviceStatus
from equipbank.devices.models import Device, DeviceEvent
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.communes import followup_done
from equipbank.reports.impact import ImpactFigures
from equipbank.reports.period import Period
from equipbank.reports.stock import IN_STOCK, flow_of

S = DeviceStatus


def donor_impact(donor: Organisation, period: Period) -> ImpactFigures:
    """What became of one donor's devices in the period: received at the workshop, became
    ready, recycled or dismantled, handed over (with the beneficiaries, communes and
    follow-ups behind those handovers); `in_progress` is today's count still in the chain.
    Aggregates only, never a person or a place."""
    own = (
        sa.select(Device.id)
        .join(Donation, Donation.id == Device.donation_id)
        .where(Donation.donor_id == donor.id)
    )
    given = db.session.scalars(
        sa.select(sa.func.count(Device.id))
        .join(Donation, Donation.id == Device.donation_id)
        .where(Donation.donor_id == donor.id, period.covers(Device.created_at))
    ).one()
    flow = flow_of().label("flow")
    flows: dict[str | None, int] = dict(
        db.session.execute(
            sa.select(flow, sa.func.count(sa.distinct(DeviceEvent.device_id)))
            .where(
                DeviceEvent.device_id.in_(own),
                DeviceEvent.to_status.in_((S.READY, S.RECYCLED, S.PARTS)),
                period.covers(DeviceEvent.at),
            )
            .group_by(flow)
        )
        .tuples()
        .all()
    )
    in_progress = db.session.scalars(
        sa.select(sa.func.count(Device.id)).where(Device.id.in_(own), Device.status.in_(IN_STOCK))
    ).one()
    handed = sa.select(
        sa.func.count(sa.distinct(Handover.device_id)),
        sa.func.count(sa.distinct(Handover.beneficiary_id)),
        sa.func.count(sa.distinct(Handover.commune_code)),
        sa.func.coalesce(sa.func.sum(sa.case((followup_done(), 1), else_=0)), 0),
    ).where(Handover.device_id.in_(own), period.covers(Handover.handed_at))
    handed_over, equipped, communes, followups = db.session.execute(handed).one()
    return ImpactFigures(
        devices_given=given,
        reconditioned=flows.get("ready", 0),
        recycled=flows.get("recycled", 0),
        in_progress=in_progress,
        handed_over=handed_over,
        beneficiaries_equipped=equipped,
        communes_reached=communes,
        followups_done=followups,
    )
