"""The GIN index behind full-text search over message text; PostgreSQL only (SQLite searches by substring)."""

from django.db import migrations

# Frozen here: a migration must not change when the application's search code does.
CREATE_MESSAGE_SEARCH_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS message_body_search_idx ON conversations_message "
    "USING GIN (to_tsvector('simple'::regconfig, COALESCE(body, '')))"
)
DROP_MESSAGE_SEARCH_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS message_body_search_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_MESSAGE_SEARCH_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_MESSAGE_SEARCH_INDEX)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction; it also keeps a large table writable.
    atomic = False
    dependencies = [("conversations", "0005_inbox_order_indexes")]
    operations = [migrations.RunPython(create, drop)]
