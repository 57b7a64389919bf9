"""WSGI entry point: `gunicorn wsgi:app`."""

from equipbank import create_app

app = create_app()
