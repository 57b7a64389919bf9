from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.db import Model, code_check


class Commune(Model):
    """A current French commune, or a municipal arrondissement of Paris, Marseille or Lyon.

    Arrondissements (`kind = "arrondissement"`) point at their commune through `parent_code`;
    everything the app records (beneficiaries, handovers, organisations) uses communes only,
    so the per-commune reports count Paris once.
    """

    __tablename__ = "communes"
    __table_args__ = (code_check("kind", ["commune", "arrondissement"]),)

    code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # Search key: the name without accents, hyphens or apostrophes, lower-cased.
    search_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="commune")
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code"))
    department_code: Mapped[str] = mapped_column(sa.String(3), index=True)
    department_name: Mapped[str] = mapped_column(sa.String(100))
    region_code: Mapped[str] = mapped_column(sa.String(3))
    region_name: Mapped[str] = mapped_column(sa.String(100))
    epci_code: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    epci_name: Mapped[str | None] = mapped_column(sa.String(200))
    population: Mapped[int | None]

    postal_codes: Mapped[list[CommunePostalCode]] = relationship(
        back_populates="commune", order_by="CommunePostalCode.postal_code"
    )

    @property
    def postal_code_list(self) -> list[str]:
        return [row.postal_code for row in self.postal_codes]

    def __repr__(self) -> str:
        return f"<Commune {self.code} {self.name!r}>"


class CommunePostalCode(Model):
    """One postal code of a commune: a code can cover several communes and the reverse."""

    __tablename__ = "commune_postal_codes"

    postal_code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    commune_code: Mapped[str] = mapped_column(
        sa.ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True, index=True
    )

    commune: Mapped[Commune] = relationship(back_populates="postal_codes")

    def __repr__(self) -> str:
        return f"<CommunePostalCode {self.postal_code} {self.commune_code}>"
