from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "hours"
    default_auto_field = "django.db.models.BigAutoField"
