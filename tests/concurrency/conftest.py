"""Real parallel transactions need a real server: these tests run on PostgreSQL only."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from equipbank.extensions import db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("concurrency is checked on PostgreSQL (CI sets DATABASE_URL)")


def run_in_parallel(app, work: Callable[[int], object], count: int) -> list[object]:
    """Run `work(i)` in `count` threads, each with its own app context and session, all
    released at the same moment; returns each one's result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results[index] = work(index)
            except Exception as error:  # noqa: BLE001  each outcome is asserted by the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
