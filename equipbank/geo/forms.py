"""The postal code + commune pair that every address form uses."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from equipbank.forms import Form, add_errors, choices
from equipbank.geo import services
from equipbank.geo.models import Commune


class CommuneFieldsMixin(Form):
    """Add to a Form: `postal_code` and `commune_code`. Validating the form resolves the pair
    into `chosen_commune`, or puts why not on the two fields, along with the other fields'
    errors (`Form.check_rules`; a form that checks more calls `super().check_rules()`).

    The select is filled from the postal code (server side here, live by `commune-picker.js`).
    """

    commune_required = True  # False: the pair may be left empty (no commune then)
    chosen_commune: Commune | None = None
    # A service's "commune" is this pair.
    error_aliases: dict[str, tuple[str, ...]] = {"commune": ("postal_code", "commune_code")}

    postal_code = StringField(
        "Code postal",
        validators=[Optional(), Regexp(r"^\d{5}$", message="Un code postal a 5 chiffres.")],
        render_kw={"inputmode": "numeric", "maxlength": 5, "autocomplete": "postal-code"},
    )
    commune_code = SelectField("Commune", choices=[], validate_choice=False)

    def fill_commune_choices(self) -> None:
        communes = services.communes_for_postal_code(self.postal_code.data or "")
        blank = None
        if len(communes) != 1:
            blank = "Choisissez la commune…" if communes else "Saisissez le code postal"
        self.commune_code.choices = choices(((c.code, c.name) for c in communes), blank=blank)

    def check_rules(self) -> None:
        self.chosen_commune = self.resolve_commune(required=self.commune_required)

    def resolve_commune(self, required: bool = True) -> Commune | None:
        """The chosen Commune; None when optional and empty; field errors otherwise."""
        if self.postal_code.errors:  # not five digits: nothing to look up
            return None
        if not required and not (self.postal_code.data or "").strip():
            return None
        try:
            return services.commune_from_postal_choice(
                self.postal_code.data, self.commune_code.data
            )
        except services.ValidationFailed as error:
            for name, messages in error.fields.items():
                add_errors([self, getattr(self, name)], messages)
            return None
