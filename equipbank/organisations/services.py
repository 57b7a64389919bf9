"""Organisations: the bank, donors, the refurbisher and relay structures.

Services take plain values and an actor, check the rules, write, audit, flush; the view commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret as siret_number

from equipbank.audit import services as audit
from equipbank.clock import utcnow
from equipbank.codes import ROLE_ORGANISATION_KINDS, OrganisationKind, Role
from equipbank.errors import Conflict, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.organisations.models import Organisation

if TYPE_CHECKING:
    from equipbank.auth.models import User


@dataclass
class OrganisationData:
    """What a person types about an organisation; `commune` is already resolved."""

    kind: str
    name: str
    siret: str | None = None
    address: str | None = None
    postal_code: str | None = None
    commune: Commune | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    mediation_typology: str | None = None
    mediation_services: str | None = None
    opening_hours: str | None = None


def normalise_siret(value: str | None) -> str | None:
    """The 14 digits of a valid SIRET, or None when empty; ValidationFailed when invalid."""
    if not value or not value.strip():
        return None
    try:
        return siret_number.validate(value)
    except StdnumValidationError:
        raise ValidationFailed(
            f"Le SIRET « {value.strip()} » n'est pas valide.",
            fields={"siret": ["SIRET invalide : 14 chiffres, dont la clé de contrôle."]},
        ) from None


def _check(data: OrganisationData, current: Organisation | None = None) -> str | None:
    if data.kind not in OrganisationKind.codes():
        raise ValidationFailed("Type d'organisation inconnu.", fields={"kind": ["Type inconnu."]})
    if not data.name or not data.name.strip():
        raise ValidationFailed("Le nom est obligatoire.", fields={"name": ["Indiquez le nom."]})
    siret = normalise_siret(data.siret)
    if siret:
        query = sa.select(Organisation).where(Organisation.siret == siret)
        if current is not None:
            query = query.where(Organisation.id != current.id)
        other = db.session.scalar(query)
        if other is not None:
            raise Conflict(
                f"Le SIRET {siret} est déjà celui de « {other.name} ».",
                code="siret_taken",
                fields={"siret": [f"Déjà utilisé par « {other.name} »."]},
            )
    return siret


def _apply(organisation: Organisation, data: OrganisationData, siret: str | None) -> None:
    organisation.kind = data.kind
    organisation.name = data.name.strip()
    organisation.siret = siret
    organisation.address = _clean(data.address)
    organisation.postal_code = _clean(data.postal_code) if data.commune else None
    organisation.commune = data.commune
    organisation.contact_name = _clean(data.contact_name)
    organisation.contact_email = _clean(data.contact_email)
    organisation.contact_phone = _clean(data.contact_phone)
    relay = data.kind == OrganisationKind.RELAY
    organisation.mediation_typology = _clean(data.mediation_typology) if relay else None
    organisation.mediation_services = _clean(data.mediation_services) if relay else None
    organisation.opening_hours = _clean(data.opening_hours) if relay else None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def create_organisation(
    data: OrganisationData, *, actor: User | None, validated: bool = True
) -> Organisation:
    """A new organisation; `validated=False` and no actor for a donor company that registered
    itself."""
    siret = _check(data)
    organisation = Organisation(is_active=True, validated_at=utcnow() if validated else None)
    _apply(organisation, data, siret)
    db.session.add(organisation)
    audit.record("organisation.create", organisation, actor=actor, summary=_summary(organisation))
    return organisation


def update_organisation(
    organisation: Organisation, data: OrganisationData, *, actor: User
) -> Organisation:
    siret = _check(data, organisation)
    if data.kind != organisation.kind:
        _check_kind_change(organisation, data.kind)
    before = _summary(organisation)
    _apply(organisation, data, siret)
    audit.record(
        "organisation.update",
        organisation,
        actor=actor,
        summary={"before": before, "after": _summary(organisation)},
    )
    return organisation


def _check_kind_change(organisation: Organisation, kind: str) -> None:
    """A kind change must not leave accounts in an organisation their role does not fit."""
    from equipbank.auth.models import User

    roles = db.session.scalars(
        sa.select(User.role).where(User.organisation_id == organisation.id).distinct()
    )
    if any(kind not in ROLE_ORGANISATION_KINDS[Role(role)] for role in roles):
        raise ValidationFailed(
            "Cette organisation a des comptes dont le rôle ne convient pas au nouveau type : "
            "changez d'abord leur rôle ou leur organisation.",
            fields={"kind": ["Incompatible avec les comptes de l'organisation."]},
        )


def set_active(organisation: Organisation, active: bool, *, actor: User) -> Organisation:
    """Deactivating an organisation logs its accounts out and keeps all its history."""
    if not active and actor is not None and actor.organisation_id == organisation.id:
        raise ValidationFailed("Vous ne pouvez pas désactiver votre propre organisation.")
    organisation.is_active = active
    audit.record(
        "organisation.activate" if active else "organisation.deactivate", organisation, actor=actor
    )
    return organisation


def validate(organisation: Organisation, *, actor: User) -> None:
    """Staff checked a self-registered company: its pickups may now be planned."""
    if organisation.is_validated:
        return
    organisation.validated_at = utcnow()
    audit.record("organisation.validate", organisation, actor=actor)


def get_organisation(organisation_id: int | None) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        raise NotFound("Organisation introuvable.")
    return organisation


def organisations_of_kinds(*kinds: str, active_only: bool = True) -> list[Organisation]:
    query = sa.select(Organisation).where(Organisation.kind.in_(kinds)).order_by(Organisation.name)
    if active_only:
        query = query.where(Organisation.is_active.is_(True))
    return list(db.session.scalars(query))


def _summary(organisation: Organisation) -> dict:
    """What the audit log keeps: the organisation's public facts, not its contact person."""
    return {
        "kind": organisation.kind,
        "siret": organisation.siret,
        "commune": organisation.commune.code if organisation.commune else None,
    }


def donors_to_validate() -> list[Organisation]:
    """Companies registered through the public form, not validated yet: oldest first."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind == OrganisationKind.DONOR,
                Organisation.validated_at.is_(None),
                Organisation.is_active.is_(True),
            )
            .order_by(Organisation.created_at)
        )
    )
