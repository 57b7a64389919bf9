"""gunicorn's settings for equipbank: `gunicorn wsgi:app`, from the checkout (docs/operations.md).

gunicorn reads this file from the folder it starts in; options on its command line win.

Prometheus (`equipbank.metrics`): each worker is a process with figures of its own. With
`PROMETHEUS_MULTIPROC_DIR` in the web service's environment, each writes them to files in
that folder and the one that answers `/metrics` sums them all. The master empties the folder
before the first worker starts (the figures of a previous run are not this run's), and each
worker that exits hands back its live gauges.
"""

import glob
import os

bind = "127.0.0.1:8000"
workers = 4


def _metrics_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def on_starting(server) -> None:
    directory = _metrics_dir()
    if directory:
        os.makedirs(directory, exist_ok=True)
        for path in glob.glob(os.path.join(directory, "*.db")):
            os.remove(path)


def child_exit(server, worker) -> None:
    if _metrics_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
