import importlib

from django.apps import AppConfig

from helpdesk.celery import TASK_PACKAGES


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Staff"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every process (web, worker, command) knows every task before it serves anything: code that
        # enqueues a task by name (the outbox, which sits below the features its handlers belong to) must
        # not depend on which module a request happened to import first.
        for package in TASK_PACKAGES:
            importlib.import_module(f"{package}.tasks")
