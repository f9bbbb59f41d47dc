"""WSGI entry point for gunicorn (`-k gevent` monkey-patches before importing this)."""

from workshop import create_app

app = create_app()
