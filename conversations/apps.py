from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Outbox handlers and after-message hooks register themselves on import.
        from conversations import handlers  # noqa: F401
