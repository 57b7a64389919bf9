"""Beneficiaries in the API: owned by their relay, 404 for anyone else (DESIGN.md §7)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from equipbank import throttle, transaction
from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.auth.permissions import roles
from equipbank.beneficiaries import retention, services
from equipbank.beneficiaries.models import Beneficiary
from equipbank.beneficiaries.schemas import (
    AnonymiseSchema,
    BeneficiaryCreateSchema,
    BeneficiaryDetailSchema,
    BeneficiaryExportSchema,
    BeneficiaryListSchema,
    BeneficiaryQuerySchema,
    BeneficiarySchema,
)
from equipbank.codes import Role
from equipbank.errors import ValidationFailed
from equipbank.geo.services import resolve_commune

blp = Blueprint(
    "api-beneficiaries", __name__, url_prefix="/beneficiaries", description="Bénéficiaires"
)


@blp.route("", methods=["POST"])
@roles(Role.RELAY)
@throttle.duplicate_checks
@idempotent(Beneficiary)
@blp.arguments(BeneficiaryCreateSchema)
@blp.response(201, BeneficiarySchema)
@blp.alt_response(
    409,
    schema=ErrorResponseSchema,
    description="possible duplicate: send again with confirm_distinct",
)
def create_beneficiary(data):
    """Enregistrer un bénéficiaire de sa structure (consentement obligatoire)."""
    commune = resolve_commune(data.pop("commune"))
    if commune is None:
        raise ValidationFailed("Commune inconnue.", fields={"commune": ["Code INSEE inconnu."]})
    confirmed = data.pop("confirm_distinct")
    try:
        beneficiary = services.create(
            services.BeneficiaryData(commune=commune, **data),
            actor=current_user,
            confirmed_distinct=confirmed,
        )
    except services.PossibleDuplicates as refusal:
        # The refusal is answered with an error, which rolls back: the record that this
        # account learned another relay knows the person must be committed on its own.
        transaction.rollback()
        services.journal_duplicate_hits(refusal.duplicates, actor=current_user)
        transaction.commit()
        raise
    return beneficiary


@blp.route("", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.arguments(BeneficiaryQuerySchema, location="query")
@blp.response(200, page_of(BeneficiaryListSchema))
def list_beneficiaries(args):
    """Les bénéficiaires de sa structure (tous pour l'équipe), recherche par nom ; sans
    leurs coordonnées (la fiche les donne)."""
    page = paginate(services.visible_beneficiaries(current_user, args.get("q")), args)
    services.record_list_read(
        current_user, "api_beneficiaries", count=len(page["items"]), searched=bool(args.get("q"))
    )
    return page


@blp.route("/<int:beneficiary_id>", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.response(200, BeneficiaryDetailSchema)
def get_beneficiary(beneficiary_id: int):
    """Un bénéficiaire, ses remises et ses rendez-vous ; 404 hors de sa structure."""
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    services.record_access(beneficiary, viewer=current_user)
    return beneficiary


@blp.route("/<int:beneficiary_id>/export", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.response(200, BeneficiaryExportSchema)
def export_beneficiary(beneficiary_id: int):
    """Droit d'accès : tout ce qui est conservé sur la personne, ses remises, ses rendez-vous
    et qui a consulté ou modifié sa fiche ; 404 hors de sa structure."""
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    return services.export_data(beneficiary, viewer=current_user, file_format="api")


@blp.route("/<int:beneficiary_id>/anonymise", methods=["POST"])
@roles(Role.RELAY, Role.STAFF)
@blp.arguments(AnonymiseSchema)
@blp.response(200, BeneficiaryDetailSchema)
def anonymise_beneficiary(data, beneficiary_id: int):
    """Droit à l'effacement : anonymiser la personne maintenant, de façon irréversible, avec
    un motif ; 404 hors de sa structure."""
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    return retention.anonymise(beneficiary, actor=current_user, reason=data["reason"])
