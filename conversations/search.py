"""Full-text search over message text on PostgreSQL, and the index that makes it fast.

The GIN index is created by migration 0006 (a frozen copy of the SQL below, which the benchmarks also run).
Its expression is exactly what ``message_search`` generates, so the planner uses it.
On SQLite, search falls back to a case-insensitive substring match.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import QuerySet

# Customers write in many languages: no stemming beats the wrong language's stemming.
SEARCH_CONFIG = "simple"

CREATE_MESSAGE_SEARCH_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS message_body_search_idx ON conversations_message "
    "USING GIN (to_tsvector('simple'::regconfig, COALESCE(body, '')))"
)
DROP_MESSAGE_SEARCH_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS message_body_search_idx"


def message_search(messages: QuerySet, text: str) -> QuerySet:
    """Messages whose text matches ``text``: every word, as typed in a search box (quotes, -word, or)."""
    if not settings.IS_POSTGRES:
        return messages.filter(body__icontains=text)
    return messages.annotate(search=SearchVector("body", config=SEARCH_CONFIG)).filter(
        search=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    )
