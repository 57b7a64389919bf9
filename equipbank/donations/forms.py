from datetime import date

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from equipbank.auth.services import MIN_PASSWORD_LENGTH, check_password_strength
from equipbank.codes import DeviceCategory, DonationStatus
from equipbank.donations import services
from equipbank.donations.services import MAX_TYPED_QUANTITY, DonationInput, LineInput
from equipbank.forms import FilterForm, Form, SubForm, choices, enum_choices, optional_id
from equipbank.geo.forms import CommuneFieldsMixin
from equipbank.organisations.services import normalise_siret

MAX_FORM_LINES = 50


class LineForm(SubForm):
    category = SelectField("Catégorie", choices=enum_choices(DeviceCategory))
    quantity = IntegerField(
        "Quantité",
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_TYPED_QUANTITY, message=f"Entre 1 et {MAX_TYPED_QUANTITY}."),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    brand = StringField("Marque", validators=[Optional(), Length(max=100)])
    model = StringField("Modèle", validators=[Optional(), Length(max=150)])
    serials = TextAreaField(
        "Numéros de série (facultatif)",
        validators=[Optional()],
        render_kw={"rows": 2, "placeholder": "Un par ligne, ou séparés par des virgules"},
    )

    def is_blank(self) -> bool:
        return not (self.quantity.data or self.brand.data or self.model.data or self.serials.data)

    def serial_list(self) -> list[str]:
        text = (self.serials.data or "").replace(",", "\n").replace(";", "\n")
        return [serial.strip() for serial in text.splitlines() if serial.strip()]


class PickupFieldsMixin(CommuneFieldsMixin):
    commune_required = False  # the pickup's commune, when the address is elsewhere

    pickup_address = StringField("Adresse d'enlèvement", validators=[Optional(), Length(max=300)])
    preferred_pickup_on = DateField("Date d'enlèvement souhaitée", validators=[Optional()])
    erasure_certificate_requested = BooleanField(
        "Je souhaite un certificat d'effacement des données"
    )
    notes = TextAreaField(
        "Remarques",
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3, "placeholder": "Accès, horaires, étage, contact sur place…"},
    )

    def prefill_pickup(self, donor) -> None:
        """Start from the donor's own address: most donations leave from the company."""
        if donor is None:
            return
        self.pickup_address.data = self.pickup_address.data or donor.address
        if not self.postal_code.data and donor.postal_code:
            self.postal_code.data = donor.postal_code
            self.commune_code.data = donor.commune_code

    def check_rules(self) -> None:
        super().check_rules()  # the commune
        self.check(lambda: services.check_pickup(self.donation_input([], self.chosen_commune)))

    def donation_input(self, lines: list[LineInput], commune) -> DonationInput:
        return DonationInput(
            lines=lines,
            pickup_address=self.pickup_address.data,
            pickup_commune=commune,
            preferred_pickup_on=self.preferred_pickup_on.data,
            erasure_certificate_requested=self.erasure_certificate_requested.data,
            notes=self.notes.data,
        )


class LinesMixin:
    lines = FieldList(
        FormField(LineForm), "Équipements donnés", min_entries=1, max_entries=MAX_FORM_LINES
    )

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                category=entry.category.data,
                quantity=entry.quantity.data or len(entry.serial_list()) or 1,
                brand=entry.brand.data,
                model=entry.model.data,
                serials=entry.serial_list(),
            )
            for entry in (line.form for line in self.lines)
            if not entry.is_blank()
        ]


class DonationForm(LinesMixin, PickupFieldsMixin, Form):
    donor_id = SelectField("Donateur", coerce=optional_id, validate_choice=False)  # staff only

    page_order = ("donor_id", "lines", "pickup_address", "postal_code", "commune_code")

    def check_rules(self) -> None:
        super().check_rules()
        self.check(lambda: services.check_lines(services.normalise_lines(self.line_inputs())))


class PickupPlanForm(Form):
    planned_on = DateField("Date d'enlèvement", validators=[DataRequired("Choisissez la date.")])


class CollectedForm(Form):
    """ "Marquer comme collecté"; before the planned pickup, with its confirmation ticked."""

    confirm_early = BooleanField("Le don a bien été collecté avant la date planifiée")

    def __init__(self, *args, planned_on: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if planned_on is not None:
            self.confirm_early.label.text += f" ({planned_on:%d/%m/%Y})"


class InventoryUploadForm(Form):
    donor_id = SelectField("Donateur", coerce=optional_id, validate_choice=False)  # staff only
    file = FileField(
        "Fichier d'inventaire",
        validators=[
            FileRequired("Choisissez le fichier."),
            FileAllowed(["csv", "txt", "xlsx"], "Un fichier CSV ou XLSX (Excel)."),
        ],
    )


class DonationFilters(FilterForm):
    q = SearchField("Donateur", validators=[Optional(), Length(max=100)])
    status = SelectField("Statut", choices=enum_choices(DonationStatus, blank="Tous les statuts"))


class DonorRegistrationForm(LinesMixin, PickupFieldsMixin, Form):
    """A company the bank does not know yet: itself, its contact person, its first donation."""

    commune_required = True  # the company's own commune (its pickup address by default)
    page_order = (
        "company_name",
        "siret",
        "company_address",
        "postal_code",
        "commune_code",
        "contact_name",
        "email",
        "phone",
        "password",
        "confirm",
        "lines",
    )

    def check_rules(self) -> None:
        super().check_rules()
        self.check(lambda: services.check_lines(services.normalise_lines(self.line_inputs())))
        if not self.siret.errors:
            self.check(lambda: normalise_siret(self.siret.data))
        if not self.password.errors:
            self.check(
                lambda: check_password_strength(
                    self.password.data or "",
                    email=self.email.data or "",
                    name=self.contact_name.data or "",
                )
            )

    company_name = StringField(
        "Raison sociale", validators=[DataRequired("Indiquez la raison sociale."), Length(max=200)]
    )
    siret = StringField(
        "SIRET",
        validators=[DataRequired("Indiquez le SIRET."), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    company_address = StringField(
        "Adresse de l'entreprise", validators=[Optional(), Length(max=300)]
    )
    contact_name = StringField(
        "Vos prénom et nom", validators=[DataRequired("Indiquez votre nom."), Length(max=200)]
    )
    email = EmailField(
        "Votre adresse e-mail",
        validators=[
            DataRequired("Indiquez votre adresse e-mail."),
            Email("Adresse e-mail invalide."),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        "Téléphone", validators=[Optional(), Length(max=30)], render_kw={"autocomplete": "tel"}
    )
    password = PasswordField(
        "Mot de passe",
        validators=[
            DataRequired("Choisissez un mot de passe."),
            Length(min=MIN_PASSWORD_LENGTH, message=f"Au moins {MIN_PASSWORD_LENGTH} caractères."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[EqualTo("password", message="Les deux mots de passe diffèrent.")],
        render_kw={"autocomplete": "new-password"},
    )
    # Left empty by people; robots fill every field.
    website = StringField(
        "Ne pas remplir",
        validators=[Optional()],
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


def donor_choices(donors) -> list:
    return choices(((donor.id, donor.name) for donor in donors), blank="Choisissez le donateur…")


def _column(value):
    """A column index from the mapping form; anything else is "no column"."""
    return int(value) if str(value).isdigit() and int(value) < 10_000 else None


class MappingForm(Form):
    """Which column of the file holds each field; the guessed mapping is the default."""

    category = SelectField("Catégorie", coerce=_column, validate_choice=False)
    brand = SelectField("Marque", coerce=_column, validate_choice=False)
    model = SelectField("Modèle", coerce=_column, validate_choice=False)
    serial = SelectField("Numéro de série", coerce=_column, validate_choice=False)
    quantity = SelectField("Quantité", coerce=_column, validate_choice=False)
    default_category = SelectField(
        "Catégorie des lignes sans catégorie",
        choices=enum_choices(DeviceCategory, blank="Aucune : la colonne est obligatoire"),
        validate_choice=False,  # reader.check_mapping says what is wrong, in French
    )

    FIELDS = ("category", "brand", "model", "serial", "quantity")

    def set_headers(self, headers: list[str]) -> None:
        columns = choices(
            (
                (index, f"{header or 'sans titre'} (col. {index + 1})")
                for index, header in enumerate(headers)
            ),
            blank="— non utilisée —",
        )
        for name in self.FIELDS:
            self[name].choices = columns

    def columns(self) -> dict[str, int | None]:
        return {name: self[name].data for name in self.FIELDS}

    def unused_headers(self, headers: list[str]) -> list[str]:
        """The file's columns no field takes: their content is not imported, and the page
        says so (a "Remarque" column must not vanish without a word)."""
        used = {index for index in self.columns().values() if index is not None}
        return [
            header or f"col. {index + 1}"
            for index, header in enumerate(headers)
            if index not in used
        ]


class ImportConfirmForm(PickupFieldsMixin, Form):
    page_order = ("pickup_address", "postal_code", "commune_code")
