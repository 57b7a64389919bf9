"""Every enum code of the domain, with its French label: the one place they live.

Codes are short English words (they are the API contract, DESIGN.md §5); the UI shows the
labels. `equipbank.forms.enum_choices(Enum)` gives form choices, `label` a label for templates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a French label: `Member = ("code", "Libellé")`."""

    label: str

    # Members are defined with a label; `Role("donor")` is Enum's lookup by code alone.
    def __new__(cls, code: str, label: str = "") -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def codes(cls) -> list[str]:
        return [member.value for member in cls]


class Role(LabelledEnum):
    DONOR = ("donor", "Donateur")
    REFURBISHER = ("refurbisher", "Reconditionneur")
    RELAY = ("relay", "Structure relais")
    ADVISOR = ("advisor", "Conseiller numérique")
    STAFF = ("staff", "Équipe de la Banque du Numérique")


class OrganisationKind(LabelledEnum):
    BANK = ("bank", "Banque du Numérique")
    DONOR = ("donor", "Donateur (entreprise, administration)")
    REFURBISHER = ("refurbisher", "Reconditionneur")
    RELAY = ("relay", "Structure relais")


# Which organisations a user of each role may belong to.
ROLE_ORGANISATION_KINDS: dict[Role, tuple[OrganisationKind, ...]] = {
    Role.DONOR: (OrganisationKind.DONOR,),
    Role.REFURBISHER: (OrganisationKind.REFURBISHER,),
    Role.RELAY: (OrganisationKind.RELAY,),
    Role.ADVISOR: (OrganisationKind.RELAY, OrganisationKind.BANK),
    Role.STAFF: (OrganisationKind.BANK,),
}


class DonationStatus(LabelledEnum):
    DECLARED = ("declared", "Déclaré")
    COLLECTED = ("collected", "Collecté")
    RECEIVED = ("received", "Réceptionné")
    CLOSED = ("closed", "Clôturé")
    CANCELLED = ("cancelled", "Annulé")


class InventoryImportStatus(LabelledEnum):
    UPLOADED = ("uploaded", "Fichier déposé")
    CHECKING = ("checking", "Vérification en cours")
    CHECKED = ("checked", "Vérifié")
    IMPORTING = ("importing", "Import en cours")
    IMPORTED = ("imported", "Importé")


class DeviceCategory(LabelledEnum):
    LAPTOP = ("laptop", "Ordinateur portable")
    DESKTOP = ("desktop", "Ordinateur fixe")
    TABLET = ("tablet", "Tablette")
    SMARTPHONE = ("smartphone", "Smartphone")
    SCREEN = ("screen", "Écran")
    PRINTER = ("printer", "Imprimante")
    OTHER = ("other", "Autre")


class Grade(LabelledEnum):
    A = ("A", "A : comme neuf")
    B = ("B", "B : traces légères")
    C = ("C", "C : traces visibles")


class DeviceStatus(LabelledEnum):
    RECEIVED = ("received", "Réceptionné")
    REFURBISHING = ("refurbishing", "En reconditionnement")
    READY = ("ready", "Prêt")
    RESERVED = ("reserved", "Réservé")
    AT_RELAY = ("at_relay", "À la structure relais")
    HANDED_OVER = ("handed_over", "Remis")
    RETURNED = ("returned", "Retourné")
    RECYCLED = ("recycled", "Recyclé (DEEE)")
    PARTS = ("parts", "Pièces détachées")
    LOST = ("lost", "Perdu")


class ErasureMethod(LabelledEnum):
    CERTIFIED_SOFTWARE = ("certified_software", "Logiciel d'effacement certifié")
    MEDIA_DESTROYED_REPLACED = ("media_destroyed_replaced", "Support détruit et remplacé")
    FACTORY_RESET = ("factory_reset", "Réinitialisation d'usine")


class ErasureResult(LabelledEnum):
    SUCCESS = ("success", "Réussi")
    FAILURE = ("failure", "Échec")


class RequestStatus(LabelledEnum):
    OPEN = ("open", "Ouverte")
    APPROVED = ("approved", "Approuvée")
    PARTIALLY_SERVED = ("partially_served", "Servie en partie")
    SERVED = ("served", "Servie")
    REJECTED = ("rejected", "Refusée")
    CANCELLED = ("cancelled", "Annulée")


class ReservationStatus(LabelledEnum):
    ACTIVE = ("active", "En cours")
    DELIVERED = ("delivered", "Livrée")
    RELEASED = ("released", "Libérée")


class BeneficiaryCategory(LabelledEnum):
    SENIOR_ISOLATED = ("senior_isolated", "Senior isolé")
    JOB_SEEKER = ("job_seeker", "Demandeur d'emploi")
    YOUNG = ("young", "Jeune")
    LOW_INCOME_FAMILY = ("low_income_family", "Famille à faibles revenus")
    SOCIAL_MINIMA = ("social_minima", "Bénéficiaire de minima sociaux")
    DISABILITY = ("disability", "Personne en situation de handicap")
    OTHER = ("other", "Autre")


class AgeBand(LabelledEnum):
    """Kept after anonymisation, so statistics by age stay right without a birth year."""

    UNDER_26 = ("under_26", "Moins de 26 ans")
    FROM_26_TO_44 = ("26_44", "26 à 44 ans")
    FROM_45_TO_64 = ("45_64", "45 à 64 ans")
    FROM_65_TO_74 = ("65_74", "65 à 74 ans")
    FROM_75 = ("75_plus", "75 ans et plus")

    @classmethod
    def of(cls, birth_year: int, year: int) -> AgeBand:
        age = year - birth_year
        for band, upper in (
            (cls.UNDER_26, 25),
            (cls.FROM_26_TO_44, 44),
            (cls.FROM_45_TO_64, 64),
            (cls.FROM_65_TO_74, 74),
        ):
            if age <= upper:
                return band
        return cls.FROM_75


class ReferrerKind(LabelledEnum):
    SOCIAL_WORKER = ("social_worker", "Travailleur social")
    CCAS = ("ccas", "CCAS")
    FRANCE_TRAVAIL = ("france_travail", "France Travail")
    MISSION_LOCALE = ("mission_locale", "Mission locale")
    ASSOCIATION = ("association", "Association")
    SCHOOL = ("school", "Établissement scolaire")
    OTHER = ("other", "Autre")


class EligibilityBasis(LabelledEnum):
    SOCIAL_MINIMA = ("social_minima", "Bénéficiaire d'un minimum social (RSA, AAH, ASPA…)")
    JOB_SEEKER = ("job_seeker", "Demandeur d'emploi inscrit")
    LOW_INCOME = ("low_income", "Quotient familial ou revenus modestes")
    STUDENT_GRANT = ("student_grant", "Boursier")
    REFERRER_ASSESSMENT = ("referrer_assessment", "Évaluation du prescripteur")
    OTHER = ("other", "Autre")


class ErasureReason(LabelledEnum):
    """Why a beneficiary's file was anonymised before its time: the audit log keeps the code."""

    PERSON_ASKED = ("person_asked", "La personne demande l'effacement")
    OBJECTION = ("objection", "La personne s'oppose au traitement")
    NO_LONGER_NEEDED = ("no_longer_needed", "Les données ne sont plus nécessaires")
    REGISTERED_BY_MISTAKE = ("registered_by_mistake", "Fiche créée par erreur")


class LocationType(LabelledEnum):
    OFFICE = ("office", "Dans les locaux")
    HOME = ("home", "À domicile")
    REMOTE = ("remote", "À distance")
    WORKSHOP = ("workshop", "En atelier collectif")


class ReportGrouping(LabelledEnum):
    COMMUNE = ("commune", "Commune")
    EPCI = ("epci", "Intercommunalité (EPCI)")
    DEPARTMENT = ("department", "Département")


class AppointmentStatus(LabelledEnum):
    SCHEDULED = ("scheduled", "Planifié")
    DONE = ("done", "Réalisé")
    NO_SHOW = ("no_show", "Absent")
    CANCELLED_BY_BENEFICIARY = ("cancelled_by_beneficiary", "Annulé par le bénéficiaire")
    CANCELLED_BY_SERVICE = ("cancelled_by_service", "Annulé par le service")


class Topic(LabelledEnum):
    DEVICE_BASICS = ("device_basics", "Prise en main de l'appareil")
    EMAIL = ("email", "Messagerie électronique")
    ONLINE_PROCEDURES = ("online_procedures", "Démarches administratives en ligne")
    ONLINE_SAFETY = ("online_safety", "Sécurité en ligne")
    OFFICE_SOFTWARE = ("office_software", "Bureautique")
    VIDEO_CALLS = ("video_calls", "Appels vidéo")
    OTHER = ("other", "Autre")


class Autonomy(LabelledEnum):
    FULLY_ASSISTED = ("fully_assisted", "Entièrement accompagné")
    PARTLY_AUTONOMOUS = ("partly_autonomous", "Partiellement autonome")
    AUTONOMOUS = ("autonomous", "Autonome")


class NextStep(LabelledEnum):
    NEW_APPOINTMENT = ("new_appointment", "Nouveau rendez-vous")
    WORKSHOP = ("workshop", "Atelier collectif")
    ORIENTATION = ("orientation", "Orientation vers une autre structure")
    NONE = ("none", "Aucune")


class NotificationKind(LabelledEnum):
    REMINDER_48H = ("reminder_48h", "Rappel 48 heures avant")
    DAILY_DIGEST = ("daily_digest", "Récapitulatif du jour")
    CANCELLATION = ("cancellation", "Annulation")


class NotificationChannel(LabelledEnum):
    EMAIL = ("email", "Courriel")


class NotificationResult(LabelledEnum):
    PENDING = ("pending", "En cours d'envoi")
    SENT = ("sent", "Envoyé")
    FAILED = ("failed", "Échec")


ENUMS: dict[str, type[LabelledEnum]] = {
    enum.__name__: enum for enum in LabelledEnum.__subclasses__()
}


def label(enum: type[LabelledEnum], code: str | None) -> str:
    """The French label of a code, or the code itself if unknown (never a crash in a page)."""
    if code is None:
        return ""
    try:
        return enum(code).label
    except ValueError:
        return code
