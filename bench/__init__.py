"""Benchmarks of the helpdesk against real PostgreSQL, Redis, daphne and Celery: ``python -m bench``."""
