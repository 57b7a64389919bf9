from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from equipbank.appointments.services import CANCELLED, FollowupData, OutcomeData
from equipbank.clock import PARIS
from equipbank.codes import AppointmentStatus, Autonomy, LocationType, NextStep, Topic
from equipbank.forms import Form, OptionalSelectField, choices, enum_choices, optional_id


def _optional_int(value):
    return int(value) if str(value).isdigit() else None


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (the session's topics)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OutcomeForm(Form):
    status = RadioField(
        "Ce qui s'est passé",
        choices=choices(
            [
                (status.value, status.label)
                for status in AppointmentStatus
                if status != AppointmentStatus.SCHEDULED
            ]
        ),
    )
    duration_minutes = IntegerField(
        "Durée de la séance (minutes)",
        validators=[Optional(), NumberRange(min=1, max=480, message="Entre 1 et 480.")],
    )
    topics = CheckboxesField("Thèmes abordés", choices=enum_choices(Topic))
    autonomy = RadioField(
        "Autonomie après la séance",
        choices=enum_choices(Autonomy),
        validators=[Optional()],
        validate_choice=False,
    )
    confidence = RadioField(
        "Confiance de la personne (1 : pas du tout, 4 : tout à fait)",
        choices=choices([(str(n), str(n)) for n in range(1, 5)]),
        validators=[Optional()],
        validate_choice=False,
    )
    next_step = OptionalSelectField("Suite", choices=enum_choices(NextStep, blank="—"))
    held_at = DateTimeLocalField("Séance tenue le", validators=[Optional()])

    def outcome(self) -> OutcomeData:
        return OutcomeData(
            status=self.status.data,
            duration_minutes=self.duration_minutes.data,
            topics=list(self.topics.data or []),
            autonomy=self.autonomy.data or None,
            confidence=_optional_int(self.confidence.data),
            next_step=self.next_step.data or None,
            held_at=self.held_at.data.replace(tzinfo=PARIS) if self.held_at.data else None,
        )


class RescheduleForm(Form):
    previous_status = RadioField(
        "Qui reporte ce rendez-vous ?",
        choices=choices([(status.value, status.label) for status in CANCELLED]),
        validators=[Optional()],
        validate_choice=False,
    )
    advisor = SelectField("Conseiller numérique", coerce=optional_id, validate_choice=False)
    starts_at = DateTimeLocalField("Date et heure", validators=[Optional()])
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
        return FollowupData(
            advisor_id=self.advisor.data,
            starts_at=self.starts_at.data.replace(tzinfo=PARIS) if self.starts_at.data else None,
            location_type=self.location_type.data,
            place=self.place.data,
            duration_minutes=self.duration_minutes.data or 60,
        )
