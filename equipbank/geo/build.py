"""Build the compact commune referential shipped inside the package.

    python -m equipbank.geo.build data/decoupage-administratif

reads the Etalab files (`@etalab/decoupage-administratif`, plain or gzipped as the repository
keeps them in `data/decoupage-administratif/`) and writes
`equipbank/geo/data/communes.csv.gz`: one row per current commune and per municipal
arrondissement of Paris, Marseille and Lyon, with département, région, EPCI, postal codes and
population. A fresh install then needs no network to load the communes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "communes.csv.gz"
COLUMNS = [
    "code",
    "name",
    "kind",
    "parent_code",
    "department_code",
    "department_name",
    "region_code",
    "region_name",
    "epci_code",
    "epci_name",
    "postal_codes",
    "population",
]
KINDS = {"commune-actuelle": "commune", "arrondissement-municipal": "arrondissement"}


def build(source: Path, target: Path = DATA_FILE) -> int:
    """Write the referential from the Etalab folder `source`; return the number of rows."""
    communes = _load(source / "communes.json")
    departments = {d["code"]: d["nom"] for d in _load(source / "departements.json")}
    regions = {r["code"]: r["nom"] for r in _load(source / "regions.json")}
    epci_of: dict[str, tuple[str, str]] = {}
    for epci in _load(source / "epci.json"):
        for member in epci["membres"]:
            epci_of[member["code"]] = (epci["code"], epci["nom"])

    rows = []
    for commune in communes:
        kind = KINDS.get(commune["type"])
        if kind is None:  # delegated and associated communes are not current communes
            continue
        parent = commune.get("commune") if kind == "arrondissement" else None
        epci_code, epci_name = epci_of.get(parent or commune["code"], ("", ""))
        rows.append(
            [
                commune["code"],
                commune["nom"],
                kind,
                parent or "",
                commune["departement"],
                departments[commune["departement"]],
                commune["region"],
                regions[commune["region"]],
                epci_code,
                epci_name,
                " ".join(sorted(set(commune.get("codesPostaux", [])))),
                commune.get("population", ""),
            ]
        )
    rows.sort(key=lambda row: (row[2] != "commune", row[0]))  # parents before arrondissements

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives byte-identical output, so the committed file diffs cleanly.
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))
    return len(rows)


def _load(path: Path) -> list[dict]:
    """`path`, or its gzipped copy `<name>.gz` when only that one is there."""
    gzipped = path.with_name(path.name + ".gz")
    if not path.exists() and gzipped.exists():
        return json.loads(gzip.decompress(gzipped.read_bytes()).decode("utf-8"))
    return json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="dossier decoupage-administratif d'Etalab")
    parser.add_argument("--output", type=Path, default=DATA_FILE)
    args = parser.parse_args()
    count = build(args.source, args.output)
    print(f"{count} communes et arrondissements écrits dans {args.output}")


if __name__ == "__main__":
    main()
