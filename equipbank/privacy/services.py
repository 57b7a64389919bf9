"""What the privacy notice and the processing register say, built once from the settings.

The public page (`views.policy`) and the register staff download (`register.render_register`)
print the same `Notice`: a delay changed in the configuration changes both. The legal bases
follow DESIGN.md §7 and the bank's mission: equipping people in digital difficulty is a
public-interest mission (RGPD art. 6.1.e); email reminders need the person's consent (6.1.a).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from equipbank.codes import Role, label

PUBLIC_INTEREST = (
    "Mission d'intérêt public de la Banque du Numérique : lutter contre la fracture numérique "
    "en équipant les personnes en difficulté et en les accompagnant (RGPD, article 6.1.e)."
)
CONSENT = (
    "Consentement de la personne, demandé à part et retirable à tout moment (RGPD, article 6.1.a)."
)
CNIL = "CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07 — www.cnil.fr/fr/plaintes"


@dataclass(frozen=True)
class Controller:
    name: str
    address: str | None  # None while BANK_ADDRESS is unset
    city: str
    contact: str


@dataclass(frozen=True)
class Retention:
    what: str
    how_long: str


@dataclass(frozen=True)
class Processing:
    key: str  # the anchor of its section on the page
    name: str
    purpose: str
    legal_basis: str
    people: str
    data: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: tuple[Retention, ...]


@dataclass(frozen=True)
class Notice:
    controller: Controller
    processings: tuple[Processing, ...]
    security: tuple[str, ...]

    @property
    def retention(self) -> tuple[Retention, ...]:
        """Every delay of every processing, in one list (the page's summary table)."""
        return tuple(item for processing in self.processings for item in processing.retention)


def months(count: int) -> str:
    return f"{count} mois"


def days(count: int) -> str:
    return f"{count} jour{'s' if count > 1 else ''}"


def hours(count: int) -> str:
    return f"{count} heure{'s' if count > 1 else ''}"


def duration(seconds: int) -> str:
    """A lifetime in seconds as a person says it: "48 heures", "7 jours", "30 minutes"."""
    if seconds % 86400 == 0 and seconds >= 3 * 86400:
        return days(seconds // 86400)
    if seconds % 3600 == 0:
        return hours(seconds // 3600)
    return f"{max(1, seconds // 60)} minute{'s' if seconds >= 120 else ''}"


def notice() -> Notice:
    config = current_app.config
    beneficiary_months = config["RETENTION_MONTHS"]
    audit_ip_months = config["AUDIT_IP_RETENTION_MONTHS"]
    threshold = config["REPORT_MASK_THRESHOLD"]
    controller = Controller(
        name=config["BANK_NAME"],
        address=config["BANK_ADDRESS"],
        city=config["BANK_CITY"],
        contact=config["BANK_CONTACT"],
    )
    beneficiaries = Processing(
        key="beneficiaires",
        name="Équipement et accompagnement des bénéficiaires",
        purpose=(
            "Remettre un ordinateur reconditionné à une personne en difficulté numérique et "
            "financière, orientée par une structure relais, et organiser son rendez-vous de "
            "suivi avec un conseiller numérique ; compter les personnes équipées, commune par "
            "commune, pour rendre compte de l'action."
        ),
        legal_basis=PUBLIC_INTEREST,
        people="Personnes équipées (bénéficiaires), qui n'ont pas de compte dans l'application.",
        data=(
            "Nom, prénom, année de naissance (jamais la date) et tranche d'âge",
            "Commune de résidence",
            (
                "Public (catégorie), structure qui oriente la personne, motif d'éligibilité et qui "
                "l'a vérifié, sans aucun justificatif"
            ),
            "Téléphone et e-mail, facultatifs",
            "Date du consentement à l'enregistrement",
            "Équipement remis, date, accessoires, acceptation de la charte, bon de remise",
            (
                "Rendez-vous de suivi : date, lieu, thèmes abordés, autonomie et confiance estimées, "
                "suite proposée"
            ),
        ),
        recipients=(
            (
                "La structure relais qui accompagne la personne (chaque structure ne voit que "
                "les personnes qu'elle suit)"
            ),
            "Le conseiller numérique chargé du rendez-vous de suivi",
            "L'équipe de la banque",
            (
                "Jamais les entreprises donatrices ni le reconditionneur ; les rapports et données "
                f"ouvertes ne contiennent que des totaux, les effectifs de moins de {threshold} "
                "personnes étant masqués dans les exports publics"
            ),
        ),
        retention=(
            Retention(
                "Nom, prénom, année de naissance et coordonnées des bénéficiaires",
                f"anonymisés après {months(beneficiary_months)} sans activité sur leur dossier ; "
                "seuls la commune, la tranche d'âge et le public restent, sans nom, pour les "
                "statistiques",
            ),
            Retention(
                (
                    "Réponses de l'API gardées pour qu'une requête renvoyée (clé Idempotency-Key) "
                    "ne soit pas enregistrée deux fois : elles peuvent nommer la personne et le "
                    "lieu de son rendez-vous, et ne sont renvoyées qu'au compte qui a fait la "
                    "requête"
                ),
                f"effacées après {hours(config['IDEMPOTENCY_KEY_TTL_HOURS'])}, et dès "
                "l'anonymisation de la personne",
            ),
        ),
    )
    reminders = Processing(
        key="rappels",
        name="Rappels de rendez-vous par e-mail",
        purpose=(
            "Envoyer à la personne qui l'a accepté le rappel de son rendez-vous de suivi, "
            f"{hours(config['REMINDER_HOURS_BEFORE'])} avant, avec une invitation d'agenda, et "
            "son éventuelle annulation."
        ),
        legal_basis=CONSENT,
        people="Bénéficiaires qui ont donné leur e-mail et accepté les rappels.",
        data=("Adresse e-mail", "Date, heure et lieu du rendez-vous, nom du conseiller"),
        recipients=(
            "La personne elle-même, par le serveur de messagerie de la banque",
            "Le suivi des envois ne nomme la personne que par un numéro, jamais par son adresse",
        ),
        retention=(
            Retention(
                "E-mails écrits dans la boîte d'envoi locale (sans serveur de messagerie)",
                f"supprimés après {days(config['OUTBOX_RETENTION_DAYS'])}",
            ),
        ),
    )
    accounts = Processing(
        key="comptes",
        name="Comptes des utilisateurs et sécurité de l'application",
        purpose=(
            "Donner accès à l'application aux équipes de la banque, des entreprises donatrices, "
            "du reconditionneur, des structures relais et aux conseillers numériques ; protéger "
            "les données (connexion, double authentification, journal des accès et des "
            "modifications)."
        ),
        legal_basis=PUBLIC_INTEREST,
        people="Utilisateurs de l'application, salariés ou bénévoles des organisations partenaires.",
        data=(
            "Nom, e-mail, organisation et rôle",
            "Mot de passe (haché, jamais lisible), secret de double authentification",
            "Sessions de connexion, jetons d'API, date de dernière connexion",
            "Journal d'audit : actions faites, par quel compte, depuis quelle adresse IP",
        ),
        recipients=("L'équipe de la banque (administrateurs des comptes)",),
        retention=(
            Retention(
                "Comptes des utilisateurs",
                "jusqu'à la désactivation du compte par la banque (pas de suppression automatique)",
            ),
            Retention(
                "Adresses IP du journal d'audit",
                f"effacées après {months(audit_ip_months)}",
            ),
            Retention(
                "Lien de choix du mot de passe",
                f"valable {duration(config['SET_PASSWORD_LINK_MAX_AGE'])}, inutilisable une fois "
                "utilisé",
            ),
            Retention(
                "Lien de confirmation de l'adresse e-mail",
                f"valable {duration(config['EMAIL_CONFIRMATION_MAX_AGE'])}",
            ),
            Retention("Jetons d'API", f"valables {days(config['API_TOKEN_MAX_AGE_DAYS'])}"),
        ),
    )
    donors = Processing(
        key="donateurs",
        name="Dons de matériel des entreprises",
        purpose=(
            "Recevoir les dons de matériel informatique, les faire reconditionner et délivrer "
            "aux donateurs leurs attestations de don et certificats d'effacement des données."
        ),
        legal_basis=PUBLIC_INTEREST,
        people="Contacts des entreprises et administrations donatrices.",
        data=(
            "Nom, e-mail et téléphone du contact de l'organisation",
            "Fichiers d'inventaire déposés par le donateur (ils peuvent nommer des salariés)",
        ),
        recipients=(
            "L'équipe de la banque",
            "L'entreprise d'insertion qui reconditionne le matériel",
        ),
        retention=(
            Retention(
                "Fichiers d'inventaire déposés mais jamais importés",
                f"supprimés après {days(config['INVENTORY_UPLOAD_RETENTION_DAYS'])} ; un fichier "
                "importé est supprimé dès son import",
            ),
            Retention(
                "Résultats des traitements en arrière-plan (planches d'étiquettes…)",
                f"effacés après {hours(config['JOB_RESULT_RETENTION_HOURS'])}",
            ),
            Retention(
                "Documents PDF (étiquettes, bons de remise, attestations, certificats)",
                "produits à chaque téléchargement, jamais conservés",
            ),
        ),
    )
    return Notice(
        controller=controller,
        processings=(beneficiaries, reminders, accounts, donors),
        security=(
            (
                "Chaque structure relais ne voit que ses propres bénéficiaires ; les donateurs ne "
                "voient jamais qui a reçu leur matériel"
            ),
            f"Mots de passe hachés, {_second_factor(config['TOTP_REQUIRED_ROLES'])}",
            "Sessions et jetons révocables, limitation des tentatives de connexion",
            "Connexion chiffrée (HTTPS) ; aucune page n'est gardée dans le cache du navigateur",
            (
                "Journal d'audit de chaque modification, de chaque consultation d'un dossier de "
                "bénéficiaire et de chaque export"
            ),
            (
                "Aucune donnée envoyée hors de l'Union européenne par l'application ; ni profilage ni "
                "décision automatisée"
            ),
        ),
    )


def _second_factor(required_roles) -> str:
    if not required_roles:
        return "double authentification proposée à chaque utilisateur"
    who = ", ".join(label(Role, role) for role in required_roles)
    return f"double authentification obligatoire pour les rôles : {who}"
