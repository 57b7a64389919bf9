"""`flask geo load` and `flask geo build` as an operator runs them."""

from __future__ import annotations

import gzip
from pathlib import Path

from equipbank.geo.build import DATA_FILE, build

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "decoupage-administratif"


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
    if not SOURCE.exists():  # the Etalab sources sit beside the repository, not inside it
        raise AssertionError(f"Etalab sources missing at {SOURCE}")
    rebuilt = tmp_path / "communes.csv.gz"
    build(SOURCE, rebuilt)
    assert gzip.decompress(rebuilt.read_bytes()) == gzip.decompress(DATA_FILE.read_bytes())
