"""Project wiring for the helpdesk: settings, URLs, ASGI, Celery, and the staff (agents and teams)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
