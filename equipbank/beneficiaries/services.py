"""Beneficiaries: people equipped through a relay, owned by that relay (DESIGN.md §7).

Minimum data: names, birth year, commune, category; an eligibility basis, never a document;
optional contacts. Every page, list or API call that shows one is recorded in the audit log.
Other relays never learn anything about a person, except that someone with the same details
was already equipped elsewhere (no date, no relay) when they are about to register someone
who looks like them; each such answer is recorded too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import joinedload

from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.audit.models import AuditEvent
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import today, utcnow
from equipbank.codes import AgeBand, BeneficiaryCategory, EligibilityBasis, ReferrerKind, Role
from equipbank.db import contains_text
from equipbank.errors import DomainError, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover

if TYPE_CHECKING:
    from equipbank.auth.models import User

PHONE = re.compile(r"^\+?[0-9][0-9 .\-]{7,18}[0-9]$")


@dataclass
class BeneficiaryData:
    first_name: str
    last_name: str
    birth_year: int | None
    commune: Commune | None
    category: str
    consent: bool
    referrer_kind: str | None = None
    eligibility_basis: str | None = None
    eligibility_verified_by: str | None = None
    eligibility_verified_on: date | None = None
    phone: str | None = None
    email: str | None = None
    email_reminders: bool = False


@dataclass(frozen=True)
class PossibleDuplicate:
    """Someone with the same name, birth year and commune: one of ours, or another relay's
    person of whom we only say that they were equipped elsewhere (not when, not where)."""

    beneficiary: Beneficiary | None  # set only for the relay's own beneficiaries
    other_id: int | None = None  # another relay's person: for the audit log, never shown

    @property
    def message(self) -> str:
        if self.beneficiary is not None:
            return f"{self.beneficiary.full_name} ({self.beneficiary.birth_year}) est déjà enregistré(e) dans votre structure."
        return "Une personne portant ce nom, de la même année de naissance et de la même commune a déjà été équipée dans une autre structure."


class PossibleDuplicates(DomainError):
    """Refused until the person confirms it is someone else (or picks the existing record)."""

    status = 409
    code = "possible_duplicate"

    def __init__(self, duplicates: list[PossibleDuplicate]):
        super().__init__(
            " ".join(duplicate.message for duplicate in duplicates)
            + " S'il s'agit bien d'une autre personne, confirmez.",
            fields={"confirm_distinct": ["Confirmez qu'il s'agit d'une autre personne."]},
        )
        self.duplicates = duplicates


def name_key(first_name: str, last_name: str) -> str:
    """Names compared without case, accents, hyphens or spaces: "Éloïse Martin-Durand"."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return re.sub(r"[^a-z]", "", text)


def check_data(data: BeneficiaryData) -> dict:
    """Every field of a person's file checked at once (nothing read but the data); the
    normalised email, or ValidationFailed naming each wrong field."""
    errors: dict[str, list[str]] = {}
    for name in ("first_name", "last_name"):
        value = (getattr(data, name) or "").strip()
        if not value:
            errors[name] = ["Champ obligatoire."]
        elif len(value) > 100:
            errors[name] = ["100 caractères au plus."]
    year = today().year
    if not isinstance(data.birth_year, int) or not year - 110 <= data.birth_year <= year:
        errors["birth_year"] = [f"Une année entre {year - 110} et {year}."]
    if data.commune is None or data.commune.kind != "commune":
        errors["commune"] = ["Choisissez la commune."]
    if not data.category:
        errors["category"] = ["Choisissez le public."]
    elif data.category not in BeneficiaryCategory.codes():
        errors["category"] = ["Catégorie inconnue."]
    if data.referrer_kind and data.referrer_kind not in ReferrerKind.codes():
        errors["referrer_kind"] = ["Prescripteur inconnu."]
    if data.eligibility_basis and data.eligibility_basis not in EligibilityBasis.codes():
        errors["eligibility_basis"] = ["Motif inconnu."]
    if data.eligibility_verified_on and data.eligibility_verified_on > today():
        errors["eligibility_verified_on"] = ["Une date passée."]
    if data.phone and not PHONE.match(data.phone.strip()):
        errors["phone"] = ["Numéro de téléphone invalide."]
    email = None
    if data.email and data.email.strip():
        try:
            email = validate_email(data.email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = ["Adresse e-mail invalide."]
    if data.email_reminders and not (data.email or "").strip():
        errors["email_reminders"] = ["Les rappels par e-mail demandent une adresse e-mail."]
    if not data.consent:
        errors["consent"] = ["Le consentement de la personne est obligatoire pour l'enregistrer."]
    if errors:
        raise ValidationFailed("La fiche est incomplète ou invalide.", fields=errors)
    return {"email": email}


def _apply(beneficiary: Beneficiary, data: BeneficiaryData, email: str | None) -> None:
    assert data.birth_year is not None and data.commune is not None  # check_data refused them
    beneficiary.first_name = data.first_name.strip()
    beneficiary.last_name = data.last_name.strip()
    beneficiary.birth_year = data.birth_year
    beneficiary.age_band = AgeBand.of(data.birth_year, today().year)
    beneficiary.commune_code = data.commune.code
    beneficiary.category = data.category
    beneficiary.referrer_kind = data.referrer_kind or None
    beneficiary.eligibility_basis = data.eligibility_basis or None
    beneficiary.eligibility_verified_by = (data.eligibility_verified_by or "").strip() or None
    beneficiary.eligibility_verified_on = data.eligibility_verified_on
    beneficiary.phone = (data.phone or "").strip() or None
    beneficiary.email = email
    beneficiary.email_reminders = bool(data.email_reminders and email)


def possible_duplicates(
    data: BeneficiaryData, *, relay_id: int, exclude_id: int | None = None
) -> list[PossibleDuplicate]:
    """Same name (accents and case aside), birth year and commune, in any relay."""
    if data.commune is None:
        return []
    key = name_key(data.first_name, data.last_name)
    candidates = db.session.scalars(
        sa.select(Beneficiary).where(
            Beneficiary.commune_code == data.commune.code,
            Beneficiary.birth_year == data.birth_year,
            Beneficiary.anonymised_at.is_(None),
            Beneficiary.id != (exclude_id or 0),
        )
    )
    found = []
    for candidate in candidates:
        # Not anonymised, so both names are there (the names_until_anonymised constraint).
        assert candidate.first_name is not None and candidate.last_name is not None
        if name_key(candidate.first_name, candidate.last_name) != key:
            continue
        if candidate.relay_id == relay_id:
            found.append(PossibleDuplicate(candidate))
        elif last_equipped_on(candidate) is not None:
            found.append(PossibleDuplicate(None, other_id=candidate.id))
    return found


def journal_duplicate_hits(duplicates: list[PossibleDuplicate], *, actor: User) -> None:
    """One audit event per answer about another relay's person: it tells that they are
    known. Callers record it after the refusal's rollback, so that it is kept."""
    for duplicate in duplicates:
        if duplicate.other_id is not None:
            person = db.session.get(Beneficiary, duplicate.other_id)
            audit.record(
                "beneficiary.duplicate_hit", person or Beneficiary.__tablename__, actor=actor
            )


def last_equipped_on(beneficiary: Beneficiary) -> date | None:
    handed_at = db.session.scalar(
        sa.select(sa.func.max(Handover.handed_at)).where(Handover.beneficiary_id == beneficiary.id)
    )
    return handed_at.date() if handed_at else None


def create(data: BeneficiaryData, *, actor: User, confirmed_distinct: bool = False) -> Beneficiary:
    if actor.role != Role.RELAY:
        raise ValidationFailed("Seule une structure relais enregistre un bénéficiaire.")
    checked = check_data(data)
    if not confirmed_distinct:
        duplicates = possible_duplicates(data, relay_id=actor.organisation_id)
        if duplicates:
            raise PossibleDuplicates(duplicates)
    beneficiary = Beneficiary(
        relay_id=actor.organisation_id,
        consent_at=utcnow(),
        consent_by_id=actor.id,
        created_by_id=actor.id,
    )
    _apply(beneficiary, data, checked["email"])
    db.session.add(beneficiary)
    audit.record(
        "beneficiary.create",
        beneficiary,
        actor=actor,
        summary={"category": data.category, "commune": beneficiary.commune_code},
    )
    return beneficiary


def update(
    beneficiary: Beneficiary,
    data: BeneficiaryData,
    *,
    actor: User,
    confirmed_distinct: bool = False,
) -> Beneficiary:
    if beneficiary.anonymised_at is not None:
        raise ValidationFailed("Cette fiche est anonymisée : elle ne se modifie plus.")
    checked = check_data(data)
    if not confirmed_distinct:
        duplicates = possible_duplicates(
            data, relay_id=beneficiary.relay_id, exclude_id=beneficiary.id
        )
        if duplicates:
            raise PossibleDuplicates(duplicates)
    _apply(beneficiary, data, checked["email"])
    audit.record(
        "beneficiary.update",
        beneficiary,
        actor=actor,
        summary={"category": data.category, "commune": beneficiary.commune_code},
    )
    return beneficiary


def get_beneficiary(beneficiary_id: int, *, viewer: User) -> Beneficiary:
    """The beneficiary, for its own relay or staff; NotFound for anyone else."""
    beneficiary = db.session.get(Beneficiary, beneficiary_id)
    if beneficiary is None or not can_see(viewer, beneficiary):
        raise NotFound("Bénéficiaire introuvable.")
    return beneficiary


def record_access(beneficiary: Beneficiary, *, viewer: User, purpose: str = "view") -> None:
    """Every access to a beneficiary's file is in the audit log (DESIGN.md §7): who, which
    file, why; never the person's data. Views call it when they show the file."""
    audit.record(f"beneficiary.{purpose}", beneficiary, actor=viewer)


def can_see(viewer: User, beneficiary: Beneficiary) -> bool:
    if viewer.role == Role.STAFF:
        return True
    return viewer.role == Role.RELAY and beneficiary.relay_id == viewer.organisation_id


def visible_beneficiaries(viewer: User, text: str | None = None) -> sa.Select:
    query = (
        sa.select(Beneficiary)
        .options(joinedload(Beneficiary.relay), joinedload(Beneficiary.commune))  # on each row
        .order_by(Beneficiary.last_name, Beneficiary.first_name, Beneficiary.id)
    )
    if viewer.role == Role.RELAY:
        query = query.where(Beneficiary.relay_id == viewer.organisation_id)
    elif viewer.role != Role.STAFF:
        return query.where(sa.false())
    if text and text.strip():
        query = query.where(names_match(text))
    return query


def names_match(text: str):
    """The condition "each of the first four words of `text` is in the first or the last
    name": the name search of the people list, and of the handovers list."""
    return sa.and_(
        *(
            contains_text(Beneficiary.first_name, word) | contains_text(Beneficiary.last_name, word)
            for word in text.split()[:4]
        )
    )


def record_list_read(viewer: User, list_name: str, *, count: int, searched: bool = False) -> None:
    """A list or a search that shows people: who, which list, whether a name was searched
    (never the text typed: it is a name) and how many people were shown."""
    audit.record(
        "beneficiary.list",
        Beneficiary.__tablename__,
        actor=viewer,
        summary={"list": list_name, "searched": searched, "count": count},
    )


# Right of access ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """One line of "who read or changed the file": an audit event, without its IP."""

    at: datetime
    action: str
    actor_name: str | None
    actor_role: str | None


@dataclass(frozen=True)
class BeneficiaryExport:
    exported_at: datetime
    beneficiary: Beneficiary
    handovers: list[Handover]
    appointments: list[Appointment]
    accesses: list[Access]


def export_data(beneficiary: Beneficiary, *, viewer: User, file_format: str) -> BeneficiaryExport:
    """Everything held about the person, for the person (DESIGN.md §7): the file, the
    handovers, the appointments and the audit events about the file. The export is audited
    and listed last (the journal writes its rows at the commit, after this reads them)."""
    from equipbank.auth.models import User as Account

    exported = audit.record(
        "beneficiary.export", beneficiary, actor=viewer, summary={"format": file_format}
    )
    handovers = db.session.scalars(
        sa.select(Handover)
        .options(joinedload(Handover.device))
        .where(Handover.beneficiary_id == beneficiary.id)
        .order_by(Handover.handed_at, Handover.id)
    ).all()
    appointments = db.session.scalars(
        sa.select(Appointment)
        .options(joinedload(Appointment.advisor))
        .where(Appointment.beneficiary_id == beneficiary.id)
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    rows = db.session.execute(
        sa.select(AuditEvent.at, AuditEvent.action, Account.name, Account.role)
        .outerjoin(Account, Account.id == AuditEvent.actor_id)
        .where(
            AuditEvent.subject_type == Beneficiary.__tablename__,
            AuditEvent.subject_id == str(beneficiary.id),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return BeneficiaryExport(
        exported_at=utcnow(),
        beneficiary=beneficiary,
        handovers=list(handovers),
        appointments=list(appointments),
        accesses=[
            *(Access(at, action, name, role) for at, action, name, role in rows),
            Access(exported.at, exported.action, viewer.name, viewer.role),
        ],
    )
