"""`wsgi.py`'s app with its inventory imports made slow, for the worker that the kill test of
tests/test_jobs.py kills in the middle of an import (`flask --app tests/slow_import_app.py rq
worker`): each import, once its donation is written (flushed, not committed), touches the file
named by `SLOW_IMPORT_MARKER` and waits a minute, to be killed meanwhile."""

from __future__ import annotations

import os
import time
from pathlib import Path

from equipbank import create_app
from equipbank.donations import services as donations
from equipbank.extensions import db

_declare_donation = donations.declare_donation


def _declare_then_wait(*args, **kwargs):
    donation = _declare_donation(*args, **kwargs)
    db.session.flush()  # in the database, inside the import's transaction
    Path(os.environ["SLOW_IMPORT_MARKER"]).touch()
    time.sleep(60)
    return donation


donations.declare_donation = _declare_then_wait
app = create_app()
