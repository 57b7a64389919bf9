"""The commune referential: loading it, and finding communes by postal code, name or code."""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from equipbank.db import like_escape
from equipbank.errors import DomainError, ValidationFailed
from equipbank.extensions import db
from equipbank.geo.build import COLUMNS, DATA_FILE
from equipbank.geo.models import Commune, CommunePostalCode

POSTAL_CODE = re.compile(r"^\d{5}$")
INSEE_CODE = re.compile(r"^(\d{2}|2A|2B)\d{3}$")
COMMUNE_FIELDS = [c for c in COLUMNS if c != "postal_codes"]


class ReferentialError(DomainError):
    code = "referential_error"


@dataclass(frozen=True)
class LoadReport:
    inserted: int
    updated: int
    unchanged: int
    postal_codes_added: int
    postal_codes_removed: int

    @property
    def changed(self) -> bool:
        return bool(
            self.inserted or self.updated or self.postal_codes_added or self.postal_codes_removed
        )


def normalise_name(name: str) -> str:
    """Lower-case, no accents, hyphens and apostrophes as spaces: "L'Escarène" -> "l escarene"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"[-'’\s]+", " ", text)
    return text.strip()


def read_referential(path: Path = DATA_FILE) -> list[dict]:
    """Parse and check the whole data file before anything touches the database."""
    try:
        with gzip.open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        raise ReferentialError(f"Fichier du référentiel introuvable : {path}.") from None
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ReferentialError(f"Fichier du référentiel illisible ({path}) : {error}.") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != COLUMNS:
        raise ReferentialError(f"Colonnes inattendues dans {path} : {reader.fieldnames}.")
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            rows.append(_parse_row(row))
        except (ValueError, TypeError) as error:
            raise ReferentialError(f"{path}, ligne {line} : {error}.") from None
    if not rows:
        raise ReferentialError(f"Le fichier du référentiel {path} ne contient aucune commune.")
    return rows


def _parse_row(row: dict) -> dict:
    if None in row or any(value is None for value in row.values()):
        raise ValueError("nombre de colonnes incorrect")
    if not INSEE_CODE.match(row["code"]):
        raise ValueError(f"code INSEE invalide {row['code']!r}")
    postal_codes = row["postal_codes"].split()
    if not all(POSTAL_CODE.match(code) for code in postal_codes):
        raise ValueError(f"code postal invalide pour {row['code']}")
    if row["kind"] not in ("commune", "arrondissement") or not row["name"]:
        raise ValueError(f"ligne invalide pour {row['code']}")
    return {
        "code": row["code"],
        "name": row["name"],
        "search_name": normalise_name(row["name"]),
        "kind": row["kind"],
        "parent_code": row["parent_code"] or None,
        "department_code": row["department_code"],
        "department_name": row["department_name"],
        "region_code": row["region_code"],
        "region_name": row["region_name"],
        "epci_code": row["epci_code"] or None,
        "epci_name": row["epci_name"] or None,
        "population": int(row["population"]) if row["population"] else None,
        "postal_codes": postal_codes,
    }


def load_referential(path: Path = DATA_FILE) -> LoadReport:
    """Insert or update every commune of the data file; a second run changes nothing.

    Flushes, never commits: the caller commits once, so a failure loads nothing at all.
    Communes absent from the file are kept (records may point at them).
    """
    rows = read_referential(path)
    existing = {commune.code: commune for commune in db.session.scalars(sa.select(Commune))}
    inserts, updated, unchanged = [], 0, 0
    for row in rows:
        values = {key: row[key] for key in (*COMMUNE_FIELDS, "search_name")}
        current = existing.get(row["code"])
        if current is None:
            inserts.append(values)
        elif any(getattr(current, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            updated += 1
        else:
            unchanged += 1
    if inserts:
        db.session.execute(sa.insert(Commune), inserts)
    db.session.flush()

    wanted = {(code, row["code"]) for row in rows for code in row["postal_codes"]}
    present = set(
        db.session.execute(sa.select(CommunePostalCode.postal_code, CommunePostalCode.commune_code))
        .tuples()
        .all()
    )
    known_codes = {row["code"] for row in rows}
    to_add = wanted - present
    to_remove = {pair for pair in present - wanted if pair[1] in known_codes}
    if to_add:
        db.session.execute(
            sa.insert(CommunePostalCode),
            [{"postal_code": postal, "commune_code": code} for postal, code in sorted(to_add)],
        )
    for postal, code in to_remove:
        db.session.execute(
            sa.delete(CommunePostalCode).where(
                CommunePostalCode.postal_code == postal, CommunePostalCode.commune_code == code
            )
        )
    db.session.flush()
    _LISTS.clear()
    return LoadReport(len(inserts), updated, unchanged, len(to_add), len(to_remove))


def referential_is_loaded() -> bool:
    return db.session.scalar(sa.select(Commune.code).limit(1)) is not None


# Lookups ------------------------------------------------------------------------------------


def communes_for_postal_code(postal_code: str) -> list[Commune]:
    """Every commune of a postal code (arrondissements excluded: their commune is listed)."""
    return list(db.session.scalars(communes_query(postal_code=postal_code)))


def search_communes(text: str, limit: int = 20) -> list[Commune]:
    """Communes matching a postal code, an INSEE code or the start of a word of the name."""
    return list(db.session.scalars(communes_query(text=text).limit(limit)))


def communes_query(*, text: str | None = None, postal_code: str | None = None) -> sa.Select:
    """Communes (never arrondissements) of a postal code and/or matching a text, best first.

    The text is a postal code, an INSEE code (an arrondissement's gives its commune) or the
    start of a word of the name, accents, hyphens and apostrophes ignored.
    """
    query = sa.select(Commune).options(selectinload(Commune.postal_codes))
    query = query.where(Commune.kind == "commune")
    order: list = [Commune.search_name]
    text = (text or "").strip()
    if postal_code is not None:
        query = query.where(_has_postal_code(postal_code.strip()))
    if POSTAL_CODE.match(text) or INSEE_CODE.match(text.upper()):
        # Five characters may be a postal code or an INSEE code (06440 and 06057): either.
        resolved = resolve_commune(text)
        code = resolved.code if resolved is not None else text.upper()
        query = query.where((Commune.code == code) | _has_postal_code(text))
    elif text:
        key = like_escape(normalise_name(text))
        if len(key) < 2:
            return query.where(sa.false())
        starts = Commune.search_name.like(f"{key}%", escape="\\")
        word_starts = Commune.search_name.like(f"% {key}%", escape="\\")  # "escarene"
        query = query.where(starts | word_starts)
        order = [
            sa.case((starts, 0), else_=1),
            Commune.population.desc().nulls_last(),
            Commune.name,
        ]
    return query.order_by(*order, Commune.code)


def _has_postal_code(postal_code: str):
    if not POSTAL_CODE.match(postal_code):
        return sa.false()
    return Commune.code.in_(
        sa.select(CommunePostalCode.commune_code).where(
            CommunePostalCode.postal_code == postal_code
        )
    )


def resolve_commune(code: str) -> Commune | None:
    """The commune of an INSEE code; a municipal arrondissement gives its commune."""
    commune = db.session.get(Commune, code.strip().upper())
    if commune is not None and commune.parent_code:
        return db.session.get(Commune, commune.parent_code)
    return commune


def commune_from_postal_choice(postal_code: str | None, commune_code: str | None) -> Commune:
    """The commune a person chose among those of a postal code; never guessed between several.

    Raises ValidationFailed with French messages on `postal_code` or `commune_code`.
    """
    postal_code = (postal_code or "").strip()
    if not postal_code:
        raise ValidationFailed(
            "Indiquez le code postal.", fields={"postal_code": ["Indiquez le code postal."]}
        )
    if not POSTAL_CODE.match(postal_code):
        raise ValidationFailed(
            "Code postal invalide.", fields={"postal_code": ["Un code postal a 5 chiffres."]}
        )
    communes = communes_for_postal_code(postal_code)
    if not communes:
        raise ValidationFailed(
            f"Aucune commune ne correspond au code postal {postal_code}.",
            fields={"postal_code": [f"Aucune commune pour le code postal {postal_code}."]},
        )
    if not commune_code:
        if len(communes) == 1:
            return communes[0]
        raise ValidationFailed(
            f"Plusieurs communes ont le code postal {postal_code} : choisissez-la.",
            fields={"commune_code": ["Choisissez la commune."]},
        )
    for commune in communes:
        if commune.code == commune_code:
            return commune
    raise ValidationFailed(
        f"Cette commune n'a pas le code postal {postal_code}.",
        fields={"commune_code": [f"Cette commune n'a pas le code postal {postal_code}."]},
    )


# The lists of départements and EPCIs, read by every report page, take a GROUP BY over the
# 35,000 communes (about 170 ms) and change only with the referential: they are kept for the
# life of the process, per database. Loading the referential in this process clears them; a
# `flask geo load` run elsewhere is seen by the app once it restarts.
_LISTS: dict[tuple, list] = {}


def _kept(*key, build) -> list:
    key = (db.engine.url.render_as_string(), *key)
    if key not in _LISTS:
        _LISTS[key] = build()
    return _LISTS[key]


def departments() -> list[tuple[str, str]]:
    """Every département as (code, name), in code order (01, 02, 2A, 2B, ..., 976)."""
    statement = (
        sa.select(Commune.department_code, sa.func.max(Commune.department_name))
        .group_by(Commune.department_code)
        .order_by(Commune.department_code)
    )
    return _kept("departments", build=lambda: list(db.session.execute(statement).tuples()))


def epcis(department: str | None = None) -> list[tuple[str, str, str]]:
    """Every EPCI as (code, name, first département of its communes), by name; only those
    with a commune in `department` when given."""
    statement = (
        sa.select(
            Commune.epci_code, sa.func.max(Commune.epci_name), sa.func.min(Commune.department_code)
        )
        .where(Commune.epci_code.is_not(None), Commune.kind == "commune")
        .group_by(Commune.epci_code)
        .order_by(sa.func.max(Commune.epci_name), Commune.epci_code)
    )
    if department:
        statement = statement.where(
            Commune.epci_code.in_(
                sa.select(Commune.epci_code).where(Commune.department_code == department)
            )
        )
    return _kept("epcis", department, build=lambda: list(db.session.execute(statement).tuples()))
