from wtforms import BooleanField, EmailField, PasswordField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from equipbank.auth.services import MIN_PASSWORD_LENGTH
from equipbank.codes import OrganisationKind, Role
from equipbank.forms import FilterForm, Form, choices, enum_choices, optional_id
from equipbank.organisations.services import organisations_of_kinds


class LoginForm(Form):
    email = EmailField(
        "Adresse e-mail",
        validators=[DataRequired("Indiquez votre adresse e-mail.")],
        render_kw={"autofocus": True, "autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Indiquez votre mot de passe.")],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(Form):
    code = StringField(
        "Code",
        validators=[DataRequired("Saisissez le code."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class EmailForm(Form):
    email = EmailField(
        "Adresse e-mail",
        validators=[DataRequired("Indiquez votre adresse e-mail."), Email("Adresse invalide.")],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email"},
    )


class SetPasswordForm(Form):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[
            DataRequired("Choisissez un mot de passe."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=f"Au moins {MIN_PASSWORD_LENGTH} caractères.",
            ),
        ],
    )
    confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[EqualTo("password", message="Les deux mots de passe diffèrent.")],
    )


class UserEditForm(Form):
    """The email is the login: it is not edited (create another account instead)."""

    name = StringField(
        "Nom complet", validators=[DataRequired("Indiquez le nom."), Length(max=200)]
    )
    role = SelectField("Rôle", choices=enum_choices(Role))
    organisation_id = SelectField(
        "Organisation", coerce=optional_id, validators=[DataRequired("Choisissez l'organisation.")]
    )
    is_admin = BooleanField("Administrateur des comptes (équipe uniquement)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = organisation_choices()


class UserForm(UserEditForm):
    page_order = ("email",)

    email = EmailField(
        "Adresse e-mail",
        validators=[
            DataRequired("Indiquez l'adresse e-mail."),
            Email("Adresse e-mail invalide."),
            Length(max=254),
        ],
    )


def organisation_choices(*, blank: str | None = None) -> list:
    organisations = organisations_of_kinds(*OrganisationKind.codes())
    return choices(((o.id, f"{o.name} ({o.kind_label})") for o in organisations), blank=blank)


class UserFilters(FilterForm):
    q = SearchField("Nom ou e-mail", validators=[Optional(), Length(max=100)])
    role = SelectField("Rôle", choices=enum_choices(Role, blank="Tous les rôles"))
    organisation = SelectField("Organisation", coerce=optional_id)
    state = SelectField(
        "État",
        choices=choices([("active", "Actifs"), ("inactive", "Désactivés"), ("all", "Tous")]),
        default="active",
    )

    def load_choices(self) -> None:
        self.organisation.choices = organisation_choices(blank="Toutes les organisations")
