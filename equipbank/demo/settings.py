"""The bank the demo prints on its documents: a plausible identity, demo data only.

`equipbank demo` gives it to the app it serves, setting by setting, unless the environment
gives that setting: a `BANK_ADDRESS` exported before `equipbank demo` wins. Production has
no such defaults (an unset `BANK_ADDRESS` is shown to staff, `equipbank.config.TO_FILL`).
"""

from __future__ import annotations

from collections.abc import Mapping

BANK_IDENTITY = {
    "BANK_NAME": "Banque du Numérique Alpes-Maritimes",
    "BANK_ADDRESS": "33 rue Gioffredo, 06000 Nice",
    "BANK_CITY": "Nice",
    "BANK_CONTACT": "contact@banque-numerique-06.fr · 04 93 00 00 00",
    "BANK_SIGNATORY_NAME": "Nadia Ferrero",  # the demo's staff account
    "BANK_SIGNATORY_TITLE": "Coordinatrice de la Banque du Numérique Alpes-Maritimes",
}


def bank_identity(environ: Mapping[str, str]) -> dict[str, str]:
    """The demo's bank settings the environment does not give."""
    return {name: value for name, value in BANK_IDENTITY.items() if not environ.get(name)}
