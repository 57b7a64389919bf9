"""Imports every model, so that the metadata (migrations, tests) sees the whole schema."""

from equipbank.api.models import IdempotencyKey
from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.audit.models import AuditEvent
from equipbank.auth.models import ApiToken, User
from equipbank.beneficiaries.models import Beneficiary
from equipbank.devices.models import Device, DeviceEvent, ErasureRecord
from equipbank.donations.models import Donation, DonationLine
from equipbank.geo.models import Commune, CommunePostalCode
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.requests.models import DeviceRequest, Reservation, request_beneficiaries

__all__ = [
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "Beneficiary",
    "Commune",
    "CommunePostalCode",
    "Device",
    "DeviceEvent",
    "DeviceRequest",
    "Donation",
    "DonationLine",
    "ErasureRecord",
    "Handover",
    "IdempotencyKey",
    "NotificationReceipt",
    "Organisation",
    "Reservation",
    "User",
    "request_beneficiaries",
]
