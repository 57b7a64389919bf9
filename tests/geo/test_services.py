"""The commune referential: complete, right for the Pays des Paillons, safe to reload."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa

from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo import services
from equipbank.geo.build import DATA_FILE
from equipbank.geo.models import Commune, CommunePostalCode

PAILLONS = "240600593"


def test_the_referential_holds_every_current_commune():
    communes = db.session.scalar(sa.select(sa.func.count()).where(Commune.kind == "commune"))
    arrondissements = db.session.scalar(
        sa.select(sa.func.count()).where(Commune.kind == "arrondissement")
    )
    assert communes == 34969  # Etalab 6.0.0: every "commune-actuelle"
    assert arrondissements == 45  # Paris 20, Marseille 16, Lyon 9


def test_a_postal_code_gives_every_commune_it_covers():
    found = services.communes_for_postal_code("06440")
    assert [c.name for c in found] == [
        "Blausasc",
        "L'Escarène",
        "Lucéram",
        "Peille",
        "Peillon",
        "Touët-de-l'Escarène",
    ]
    assert {(c.epci_code, c.epci_name) for c in found} == {(PAILLONS, "CC du Pays des Paillons")}


def test_the_pays_des_paillons_has_its_eleven_communes():
    names = db.session.scalars(
        sa.select(Commune.name).where(Commune.epci_code == PAILLONS).order_by(Commune.search_name)
    ).all()
    assert names == [
        "Bendejun",
        "Berre-les-Alpes",
        "Blausasc",
        "Cantaron",
        "Coaraze",
        "Contes",
        "L'Escarène",
        "Lucéram",
        "Peille",
        "Peillon",
        "Touët-de-l'Escarène",
    ]


def test_corsica_codes_are_kept_as_insee_writes_them():
    ajaccio = services.resolve_commune("2a004")
    assert (ajaccio.code, ajaccio.name, ajaccio.department_code) == ("2A004", "Ajaccio", "2A")
    assert [c.code for c in services.communes_for_postal_code("20000")] == ["2A004"]


@pytest.mark.parametrize(
    ("arrondissement", "commune"),
    [("75111", "Paris"), ("13201", "Marseille"), ("69381", "Lyon")],
)
def test_an_arrondissement_resolves_to_its_commune(arrondissement, commune):
    assert services.resolve_commune(arrondissement).name == commune


def test_a_city_postal_code_lists_the_commune_not_its_arrondissement():
    assert [(c.code, c.name) for c in services.communes_for_postal_code("13001")] == [
        ("13055", "Marseille")
    ]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("escarene", "L'Escarène"),
        ("L'Escarène", "L'Escarène"),
        ("touet de l", "Touët-de-l'Escarène"),
        ("06057", "L'Escarène"),
    ],
)
def test_search_ignores_accents_hyphens_and_apostrophes(text, first):
    assert services.search_communes(text)[0].name == first


def test_search_with_a_wildcard_is_literal():
    assert services.search_communes("%%") == []


def test_choosing_among_the_communes_of_a_postal_code():
    assert services.commune_from_postal_choice("06440", "06057").name == "L'Escarène"
    assert services.commune_from_postal_choice("20000", None).name == "Ajaccio"  # the only one
    with pytest.raises(ValidationFailed, match="choisissez"):
        services.commune_from_postal_choice("06440", None)
    with pytest.raises(ValidationFailed, match="n'a pas le code postal"):
        services.commune_from_postal_choice("06440", "06048")  # Contes is in 06390
    with pytest.raises(ValidationFailed, match="Aucune commune"):
        services.commune_from_postal_choice("00000", None)
    with pytest.raises(ValidationFailed, match="invalide"):
        services.commune_from_postal_choice("6440", None)


def test_loading_again_changes_nothing():
    counts = (
        db.session.scalar(sa.select(sa.func.count()).select_from(Commune)),
        db.session.scalar(sa.select(sa.func.count()).select_from(CommunePostalCode)),
    )
    report = services.load_referential()
    db.session.commit()
    assert not report.changed
    assert report.unchanged == 35014
    assert counts == (
        db.session.scalar(sa.select(sa.func.count()).select_from(Commune)),
        db.session.scalar(sa.select(sa.func.count()).select_from(CommunePostalCode)),
    )


def test_loading_repairs_a_changed_row():
    escarene = db.session.get(Commune, "06057")
    escarene.population = 1
    db.session.query(CommunePostalCode).filter_by(commune_code="06057").delete()
    db.session.commit()
    report = services.load_referential()
    db.session.commit()
    assert (report.updated, report.postal_codes_added) == (1, 1)
    assert db.session.get(Commune, "06057").population == 2585
    assert [c.code for c in services.communes_for_postal_code("06440")].count("06057") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "introuvable"),
        (b"not gzip at all", "illisible"),
        (gzip.compress(b"a,b\n1,2\n"), "Colonnes inattendues"),
    ],
)
def test_a_missing_or_corrupt_file_is_refused_before_any_write(tmp_path, content, message):
    path = tmp_path / "communes.csv.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(services.ReferentialError, match=message):
        services.load_referential(path)


def test_a_bad_row_halfway_loads_nothing(tmp_path):
    lines = gzip.decompress(DATA_FILE.read_bytes()).decode().splitlines()
    lines[20000] = lines[20000].replace(lines[20000].split(",")[0], "XXXXX", 1)
    path = tmp_path / "communes.csv.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    db.session.get(Commune, "06057").population = 1
    db.session.commit()
    with pytest.raises(services.ReferentialError, match="ligne 20001"):
        services.load_referential(path)
    db.session.rollback()
    assert db.session.get(Commune, "06057").population == 1  # untouched: nothing was loaded
    services.load_referential()
    db.session.commit()


def test_departments_and_epcis_for_the_report_filters():
    departments = dict(services.departments())
    assert departments["06"] == "Alpes-Maritimes" and departments["2A"] == "Corse-du-Sud"
    assert "976" in departments  # overseas too
    paillons = [epci for epci in services.epcis("06") if epci[0] == "240600593"]
    assert paillons == [("240600593", "CC du Pays des Paillons", "06")]
    assert all(code != "240600593" for code, _name, _department in services.epcis("83"))
    # Asked again, the same lists (kept, not recomputed).
    assert services.departments() is services.departments()
