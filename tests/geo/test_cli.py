"""`flask geo load` and `flask geo build` as an operator runs them."""

from __future__ import annotations

import gzip
from pathlib import Path

from equipbank.geo.build import DATA_FILE, build

# The Etalab files the packaged referential is built from, gzipped in the repository.
SOURCE = Path(__file__).resolve().parents[2] / "data" / "decoupage-administratif"


def test_load_twice_reports_nothing_changed(runner):
    result = runner.invoke(args=["geo", "load"])
    assert result.exit_code == 0, result.output
    assert "0 ajoutées, 0 mises à jour, 35014 inchangées" in result.output


def test_load_of_a_corrupt_file_fails_clearly(runner, tmp_path):
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b garbage")
    result = runner.invoke(args=["geo", "load", "--file", str(broken)])
    assert result.exit_code == 1
    assert "illisible" in result.output and "Rien n'a été chargé" in result.output


def test_the_packaged_file_is_what_the_build_script_makes(tmp_path):
    assert (SOURCE / "communes.json.gz").exists(), f"Etalab sources missing at {SOURCE}"
    rebuilt = tmp_path / "communes.csv.gz"
    build(SOURCE, rebuilt)
    assert gzip.decompress(rebuilt.read_bytes()) == gzip.decompress(DATA_FILE.read_bytes())


def test_the_build_reads_the_plain_etalab_files_too(tmp_path):
    # As published in the npm package, before the repository gzips them.
    plain = tmp_path / "decoupage-administratif"
    plain.mkdir()
    for gzipped in SOURCE.glob("*.json.gz"):
        (plain / gzipped.stem).write_bytes(gzip.decompress(gzipped.read_bytes()))
    rebuilt = tmp_path / "communes.csv.gz"
    build(plain, rebuilt)
    assert gzip.decompress(rebuilt.read_bytes()) == gzip.decompress(DATA_FILE.read_bytes())
