from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from equipbank.appointments.services import FollowupData
from equipbank.beneficiaries.forms import BeneficiaryFieldsMixin
from equipbank.clock import PARIS
from equipbank.codes import LocationType
from equipbank.forms import Form, enum_choices, optional_id


class HandoverForm(BeneficiaryFieldsMixin, Form):
    """One flow: the device, the beneficiary (chosen, or new), the charter, the follow-up."""

    device = SelectField(
        "Équipement", validate_choice=False, validators=[DataRequired("Choisissez l'équipement.")]
    )
    beneficiary_id = SelectField("Bénéficiaire", coerce=optional_id, validate_choice=False)
    accessories = StringField(
        "Accessoires remis",
        validators=[Optional(), Length(max=300)],
        render_kw={"placeholder": "Chargeur, souris, sacoche…"},
    )
    charter_accepted = BooleanField(
        "La personne a lu et accepté la charte d'utilisation du matériel"
    )
    advisor = SelectField("Conseiller numérique", coerce=optional_id, validate_choice=False)
    starts_at = DateTimeLocalField("Date et heure du rendez-vous", validators=[Optional()])
    duration_minutes = IntegerField(
        "Durée (minutes)",
        default=60,
        validators=[Optional(), NumberRange(min=15, max=480, message="Entre 15 et 480.")],
    )
    location_type = SelectField("Lieu", choices=enum_choices(LocationType))
    place = TextAreaField(
        "Adresse ou salle", validators=[Optional(), Length(max=300)], render_kw={"rows": 2}
    )
    # The service speaks of `allow_overlap` (the API's field); the page posts `confirm_overlap`.
    allow_overlap = BooleanField("Confirmer malgré le chevauchement", name="confirm_overlap")

    def followup(self) -> FollowupData:
        starts_at = (
            self.starts_at.data.replace(tzinfo=PARIS) if self.starts_at.data else None
        )  # typed in Paris time
        return FollowupData(
            advisor_id=self.advisor.data,
            starts_at=starts_at,
            location_type=self.location_type.data,
            place=self.place.data,
            duration_minutes=self.duration_minutes.data or 60,
        )


class ReturnForm(Form):
    reason = StringField(
        "Raison du retour", validators=[DataRequired("Indiquez la raison."), Length(max=300)]
    )
