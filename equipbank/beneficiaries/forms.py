from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from equipbank.beneficiaries import services
from equipbank.beneficiaries.services import BeneficiaryData
from equipbank.codes import BeneficiaryCategory, EligibilityBasis, ErasureReason, ReferrerKind
from equipbank.forms import FilterForm, Form, OptionalSelectField, enum_choices
from equipbank.geo.forms import CommuneFieldsMixin


class BeneficiaryFieldsMixin(CommuneFieldsMixin):
    """The fields of a beneficiary, shared by its own form and the handover form."""

    page_order: tuple[str, ...] = (
        "first_name",
        "last_name",
        "birth_year",
        "postal_code",
        "commune_code",
    )

    first_name = StringField(
        "Prénom", validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "off"}
    )
    last_name = StringField(
        "Nom", validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "off"}
    )
    birth_year = IntegerField(
        "Année de naissance",
        validators=[
            Optional(),
            NumberRange(min=1900, max=2100, message="Une année sur 4 chiffres."),
        ],
        render_kw={"inputmode": "numeric", "placeholder": "1958"},
    )
    # No preset: the relay chooses, rather than leave a guess standing (required by
    # `services.check_data`, as the other fields of a new person: the handover form asks for
    # them only when no one known is chosen).
    category = SelectField("Public", choices=enum_choices(BeneficiaryCategory, blank="Choisissez…"))
    referrer_kind = OptionalSelectField(
        "Orienté(e) par", choices=enum_choices(ReferrerKind, blank="—")
    )
    eligibility_basis = OptionalSelectField(
        "Motif d'éligibilité", choices=enum_choices(EligibilityBasis, blank="—")
    )
    eligibility_verified_by = StringField("Vérifié par", validators=[Optional(), Length(max=150)])
    eligibility_verified_on = DateField("Vérifié le", validators=[Optional()])
    phone = TelField(
        "Téléphone (facultatif)",
        validators=[Optional(), Length(max=30)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        "E-mail (facultatif)",
        validators=[Optional(), Email("Adresse e-mail invalide."), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    email_reminders = BooleanField(
        "La personne accepte de recevoir par e-mail le rappel de ses rendez-vous"
    )
    consent = BooleanField(
        "La personne a été informée de l'enregistrement de ces données et y consent"
    )
    confirm_distinct = BooleanField("Je confirme qu'il s'agit d'une autre personne")

    def beneficiary_data(self, commune) -> BeneficiaryData:
        return BeneficiaryData(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            birth_year=self.birth_year.data,
            commune=commune,
            category=self.category.data,
            consent=self.consent.data,
            referrer_kind=self.referrer_kind.data or None,
            eligibility_basis=self.eligibility_basis.data or None,
            eligibility_verified_by=self.eligibility_verified_by.data,
            eligibility_verified_on=self.eligibility_verified_on.data,
            phone=self.phone.data,
            email=self.email.data,
            email_reminders=self.email_reminders.data,
        )


class BeneficiaryForm(BeneficiaryFieldsMixin, Form):
    def check_rules(self) -> None:
        super().check_rules()
        self.check(lambda: services.check_data(self.beneficiary_data(self.chosen_commune)))


class BeneficiaryFilters(FilterForm):
    q = SearchField("Nom ou prénom", validators=[Optional(), Length(max=100)])


class ErasureForm(Form):
    """ "Anonymiser maintenant": the reason is a code, never free text about the person."""

    reason = SelectField(
        "Motif",
        choices=enum_choices(ErasureReason, blank="— Choisissez le motif —"),
        validators=[DataRequired("Choisissez le motif.")],
    )
