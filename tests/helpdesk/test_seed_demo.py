"""`make run` loads the demo logins only on the embedded defaults, or when asked with SEED_DEMO=1."""

import io

import pytest
from django.core.management import call_command

from helpdesk.models import Agent

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_against_a_configured_database_make_run_loads_no_demo_logins(settings, monkeypatch):
    settings.DATABASE_URL = "postgres://helpdesk@db.example/helpdesk"
    monkeypatch.delenv("SEED_DEMO", raising=False)
    assert "SEED_DEMO=1" in _seed(if_embedded=True)
    assert not Agent.objects.filter(username="sam").exists()


def test_seed_demo_1_or_the_embedded_default_loads_them(settings, monkeypatch):
    settings.DATABASE_URL = "postgres://helpdesk@db.example/helpdesk"
    monkeypatch.setenv("SEED_DEMO", "1")
    _seed(if_embedded=True)
    assert Agent.objects.filter(username="sam", is_superuser=True).exists()
    Agent.objects.all().delete()
    settings.DATABASE_URL = ""
    monkeypatch.delenv("SEED_DEMO")
    _seed(if_embedded=True)
    assert Agent.objects.filter(username="sam").exists()
