from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from equipbank.appointments.services import FollowupData
from equipbank.beneficiaries.forms import BeneficiaryFieldsMixin
from equipbank.clock import PARIS
from equipbank.codes import LocationType, OrganisationKind
from equipbank.forms import (
    FilterForm,
    Form,
    OptionalSelectField,
    choices,
    enum_choices,
    optional_id,
)
from equipbank.handovers import services
from equipbank.handovers.services import HandoverCriteria
from equipbank.organisations.services import organisations_of_kinds


class HandoverForm(BeneficiaryFieldsMixin, Form):
    """One flow: the device, the beneficiary (chosen, or new), the charter, the follow-up."""

    page_order = ("device", "accessories", "beneficiary_id", *BeneficiaryFieldsMixin.page_order)

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

    def new_person(self) -> bool:
        return not self.beneficiary_id.data

    def check_rules(self) -> None:
        """Everything typed, checked at once: the new person's commune and file (when no one
        is chosen), the charter, the follow-up (`services.check_order`)."""
        if self.new_person():
            super().check_rules()  # the commune of the pair
        self.check(lambda: services.check_order(self.order()))

    def order(self) -> services.HandoverOrder:
        return services.HandoverOrder(
            device_tag=self.device.data,
            handover=services.HandoverData(
                charter_accepted=self.charter_accepted.data, accessories=self.accessories.data
            ),
            followup=self.followup(),
            beneficiary_id=self.beneficiary_id.data or None,
            new_beneficiary=(
                self.beneficiary_data(self.chosen_commune) if self.new_person() else None
            ),
            confirmed_distinct=self.confirm_distinct.data,
            allow_overlap=self.allow_overlap.data,
        )

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


class HandoverFilters(FilterForm):
    """The list of handovers: a device or a person, a relay (staff), a period, late follow-ups.
    `suivi=en-retard` is the address of the relay home's "suivis en retard" link."""

    q = SearchField("N° d'inventaire, nom ou prénom", validators=[Optional(), Length(max=100)])
    relay = OptionalSelectField("Structure relais", coerce=optional_id, validate_choice=False)
    start = DateField("Remis du", name="du", validators=[Optional()])
    end = DateField("au", name="au", validators=[Optional()])
    suivi = SelectField(
        "Suivi",
        choices=choices([("en-retard", "En retard")], blank="Tous"),
        validators=[Optional()],
    )

    def load_choices(self) -> None:
        self.relay.choices = choices(
            ((o.id, o.name) for o in organisations_of_kinds(OrganisationKind.RELAY)),
            blank="Toutes les structures",
        )

    def criteria(self) -> HandoverCriteria:
        return HandoverCriteria(
            text=(self.q.data or "").strip() or None,
            relay_id=self.relay.data,
            start=self.start.data,
            end=self.end.data,
            overdue_only=self.suivi.data == "en-retard",
        )
