from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from equipbank.codes import DeviceCategory, RequestStatus
from equipbank.forms import FilterForm, Form, enum_choices
from equipbank.requests.services import MAX_REQUEST_QUANTITY


class RequestForm(Form):
    category = SelectField("Catégorie", choices=enum_choices(DeviceCategory))
    quantity = IntegerField(
        "Nombre d'équipements",
        default=1,
        validators=[
            DataRequired("Indiquez le nombre."),
            NumberRange(
                min=1, max=MAX_REQUEST_QUANTITY, message=f"Entre 1 et {MAX_REQUEST_QUANTITY}."
            ),
        ],
    )
    note = TextAreaField(
        "Précisions",
        validators=[Optional(), Length(max=2000)],
        render_kw={
            "rows": 3,
            "placeholder": "Besoins particuliers (clavier, usage, urgence), sans nom ni donnée personnelle.",
        },
    )


class RequestFilters(FilterForm):
    status = SelectField("Statut", choices=enum_choices(RequestStatus, blank="À servir"))
    category = SelectField("Catégorie", choices=enum_choices(DeviceCategory, blank="Toutes"))
