"""The filters of the staff journal page."""

from __future__ import annotations

import sqlalchemy as sa
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional

from equipbank.audit import services
from equipbank.audit.models import AuditEvent
from equipbank.auth.forms import organisation_choices
from equipbank.extensions import db
from equipbank.forms import FilterForm, choices, optional_id


class JournalFilterForm(FilterForm):
    actor = SelectField("Personne", coerce=optional_id)
    organisation = SelectField("Organisation", coerce=optional_id)
    action = SelectField("Action")
    subject_type = SelectField("Objet")
    subject_id = SearchField("Identifiant de l'objet", validators=[Optional(), Length(max=40)])
    start = DateField("Du", validators=[Optional()])
    end = DateField("Au", validators=[Optional()])

    def load_choices(self) -> None:
        from equipbank.auth.models import User

        users = db.session.execute(sa.select(User.id, User.name).order_by(User.name, User.id))
        self.actor.choices = choices(
            ((user.id, user.name) for user in users), blank="Toutes les personnes"
        )
        self.organisation.choices = organisation_choices(blank="Toutes les organisations")
        actions = services.known_values(AuditEvent.action)
        self.action.choices = choices(((a, a) for a in actions), blank="Toutes les actions")
        types = services.known_values(AuditEvent.subject_type)
        self.subject_type.choices = choices(((t, t) for t in types), blank="Tous les objets")

    def to_filters(self) -> services.JournalFilters:
        return services.JournalFilters(
            actor_id=self.actor.data,
            organisation_id=self.organisation.data,
            action=self.action.data or None,
            subject_type=self.subject_type.data or None,
            subject_id=(self.subject_id.data or "").strip() or None,
            start=self.start.data,
            end=self.end.data,
        )
