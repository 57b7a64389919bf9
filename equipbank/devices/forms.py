from __future__ import annotations

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    Field,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from equipbank.codes import DeviceCategory, DeviceStatus, ErasureMethod, ErasureResult, Grade
from equipbank.devices.categories import DIAGNOSTIC_FIELDS, diagnostic_fields
from equipbank.devices.services import Diagnostics
from equipbank.forms import (
    FilterForm,
    Form,
    OptionalSelectField,
    choices,
    enum_choices,
    optional_id,
)


class IntakeForm(Form):
    line_id = SelectField("Ligne déclarée", coerce=optional_id, validate_choice=False)
    category = SelectField("Catégorie", choices=enum_choices(DeviceCategory))
    brand = StringField("Marque", validators=[Optional(), Length(max=100)])
    model = StringField("Modèle", validators=[Optional(), Length(max=150)])
    serial = StringField(
        "Numéro de série",
        validators=[Optional(), Length(max=100)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class DiagnosticsForm(Form):
    cpu = StringField("Processeur", validators=[Optional(), Length(max=150)])
    ram_gb = IntegerField(
        "Mémoire vive (Go)", validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    storage_gb = IntegerField(
        "Stockage (Go)", validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    screen_inches = DecimalField(
        "Écran (pouces)", places=1, validators=[Optional(), NumberRange(min=1, max=99)]
    )
    battery_health_pct = IntegerField(
        "Santé de la batterie (%)", validators=[Optional(), NumberRange(min=0, max=100)]
    )
    os_installed = StringField("Système installé", validators=[Optional(), Length(max=100)])
    keyboard_layout = OptionalSelectField(
        "Clavier",
        choices=choices(
            [
                ("AZERTY", "AZERTY (français)"),
                ("QWERTY", "QWERTY"),
                ("QWERTZ", "QWERTZ"),
                ("Sans clavier", "Sans clavier"),
            ],
            blank="—",
        ),
    )
    notes = TextAreaField(
        "Remarques de l'atelier", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )

    def for_category(self, category: str) -> DiagnosticsForm:
        """Only the measures that apply to the category (`categories.NEEDS`): a screen's
        form asks for its size, not for a processor or a battery."""
        applies = diagnostic_fields(category)
        for name in DIAGNOSTIC_FIELDS:
            if name not in applies:
                del self[name]
        return self

    def measures(self) -> list[Field]:
        """The measures the form kept, in order (the template lays them out two a row)."""
        return [self[name] for name in DIAGNOSTIC_FIELDS if name in self]

    def diagnostics(self) -> Diagnostics:
        values = {field.name: field.data for field in self.measures()}
        if "keyboard_layout" in values:
            values["keyboard_layout"] = values["keyboard_layout"] or None
        return Diagnostics(**values, notes=self.notes.data)


class ErasureForm(Form):
    method = SelectField("Méthode", choices=enum_choices(ErasureMethod))
    tool = StringField(
        "Outil",
        validators=[DataRequired("Indiquez l'outil."), Length(max=150)],
        render_kw={"placeholder": "Blancco Drive Eraser 7, nwipe…"},
    )
    certificate_ref = StringField(
        "Référence du certificat",
        validators=[DataRequired("Indiquez la référence."), Length(max=150)],
    )
    operator = StringField("Opérateur", validators=[Optional(), Length(max=150)])
    performed_at = DateTimeLocalField(
        "Date et heure", validators=[DataRequired("Indiquez la date.")]
    )
    result = SelectField("Résultat", choices=enum_choices(ErasureResult))


class GradeForm(Form):
    grade = OptionalSelectField("Grade esthétique", choices=enum_choices(Grade, blank="—"))
    functional_tests_passed = BooleanField(
        "Tests fonctionnels réussis (démarrage, clavier, écran, ports, Wi-Fi, son)"
    )


class ExitForm(Form):
    target = SelectField(
        "Sortie",
        choices=choices(
            [
                (DeviceStatus.RECYCLED.value, "Recycler (DEEE)"),
                (DeviceStatus.PARTS.value, "Garder pour pièces"),
            ]
        ),
    )
    reason = StringField(
        "Raison", validators=[DataRequired("Indiquez la raison."), Length(max=300)]
    )


class BackToWorkshopForm(Form):
    reason = StringField(
        "Raison", validators=[DataRequired("Indiquez la raison."), Length(max=300)]
    )


class LabelsForm(Form):
    layout = SelectField(
        "Format",
        choices=choices(
            [
                ("sheet_3x7", "Planche A4 de 3 × 7 étiquettes (63,5 × 38,1 mm)"),
                ("single", "Une étiquette par page (imprimante d'étiquettes)"),
            ]
        ),
    )
    offset = IntegerField(
        "Étiquettes déjà utilisées sur la planche",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=20, message="Entre 0 et 20.")],
    )

    def validate_offset(self, field) -> None:
        if field.data and self.layout.data != "sheet_3x7":
            raise ValidationError("Sans objet pour une étiquette par page : laissez 0.")


class DeviceFilters(FilterForm):
    q = SearchField("N° d'inventaire, série, modèle", validators=[Optional(), Length(max=100)])
    status = SelectField("Statut", choices=enum_choices(DeviceStatus, blank="Tous les statuts"))
    category = SelectField("Catégorie", choices=enum_choices(DeviceCategory, blank="Toutes"))
    grade = SelectField("Grade", choices=enum_choices(Grade, blank="Tous"))
    min_days = IntegerField(
        "Dans ce statut depuis (jours)",
        validators=[Optional(), NumberRange(min=0, max=3650)],
        render_kw={"inputmode": "numeric", "placeholder": "ex. 30", "size": 6},
    )
