from wtforms import EmailField, SearchField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from equipbank.codes import OrganisationKind
from equipbank.forms import FilterForm, Form, choices, enum_choices
from equipbank.geo.forms import CommuneFieldsMixin
from equipbank.organisations.services import OrganisationData, normalise_siret


class OrganisationForm(CommuneFieldsMixin, Form):
    commune_required = False
    page_order = ("kind", "name", "siret", "address", "postal_code", "commune_code")

    kind = SelectField("Type", choices=enum_choices(OrganisationKind))
    name = StringField("Nom", validators=[DataRequired("Indiquez le nom."), Length(max=200)])
    siret = StringField(
        "SIRET",
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    address = StringField("Adresse", validators=[Optional(), Length(max=300)])
    contact_name = StringField("Personne à contacter", validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        "E-mail de contact",
        validators=[Optional(), Email("Adresse e-mail invalide."), Length(max=254)],
    )
    contact_phone = TelField("Téléphone", validators=[Optional(), Length(max=30)])
    mediation_typology = StringField(
        "Typologie (lieux de médiation numérique)", validators=[Optional(), Length(max=100)]
    )
    mediation_services = TextAreaField("Services proposés", validators=[Optional()])
    opening_hours = TextAreaField("Horaires d'ouverture", validators=[Optional()])

    def check_rules(self) -> None:
        super().check_rules()  # the commune
        if not self.siret.errors:
            self.check(lambda: normalise_siret(self.siret.data))

    def to_data(self, commune) -> OrganisationData:
        return OrganisationData(
            kind=self.kind.data,
            name=self.name.data or "",
            siret=self.siret.data,
            address=self.address.data,
            postal_code=self.postal_code.data,
            commune=commune,
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data,
            mediation_typology=self.mediation_typology.data,
            mediation_services=self.mediation_services.data,
            opening_hours=self.opening_hours.data,
        )


class OrganisationFilters(FilterForm):
    q = SearchField("Rechercher", validators=[Optional(), Length(max=100)])
    kind = SelectField("Type", choices=enum_choices(OrganisationKind, blank="Tous les types"))
    state = SelectField(
        "État",
        choices=choices([("active", "Actives"), ("inactive", "Désactivées"), ("all", "Toutes")]),
        default="active",
    )
