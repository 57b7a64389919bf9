from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.codes import OrganisationKind
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check

if TYPE_CHECKING:
    from equipbank.geo.models import Commune


class Organisation(TimestampMixin, Model):
    """The bank itself, a donor, the refurbisher or a relay structure."""

    __tablename__ = "organisations"
    __table_args__ = (code_check("kind", OrganisationKind.codes()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    siret: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    postal_code: Mapped[str | None] = mapped_column(sa.String(5))
    commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code"))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    is_active: Mapped[bool] = mapped_column(default=True)
    # A donor company that registered itself is unvalidated until staff check it: it can
    # declare donations at once, but no pickup is planned before validation.
    # Who validated is in the audit log ("organisation.validate").
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Relays: fields of the national "lieux de médiation numérique" schema, for export.
    mediation_typology: Mapped[str | None] = mapped_column(sa.String(100))
    mediation_services: Mapped[str | None] = mapped_column(sa.Text)
    opening_hours: Mapped[str | None] = mapped_column(sa.Text)

    commune: Mapped[Commune | None] = relationship()

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None

    @property
    def kind_label(self) -> str:
        return OrganisationKind(self.kind).label

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"
