from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from equipbank.auth.services import MIN_PASSWORD_LENGTH
from equipbank.codes import Role


class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired("Indiquez votre adresse e-mail.")])
    password = PasswordField("Mot de passe", validators=[DataRequired("Indiquez votre mot de passe.")])


class SetPasswordForm(FlaskForm):
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


class UserForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[
            DataRequired("Indiquez l'adresse e-mail."),
            Email("Adresse e-mail invalide."),
            Length(max=254),
        ],
    )
    name = StringField("Nom complet", validators=[DataRequired("Indiquez le nom."), Length(max=200)])
    role = SelectField("Rôle", choices=Role.choices())
    organisation_id = SelectField("Organisation", coerce=int)
    is_admin = BooleanField("Administrateur des comptes (équipe uniquement)")
