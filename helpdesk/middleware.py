"""Refuse text no part of the system can store: NUL characters and lone surrogates.

PostgreSQL rejects NUL in text and UTF-8 cannot encode a lone surrogate, so such a value in a query
parameter or a JSON field used to end in a 500 somewhere deep in a view. Refused here, before any view
runs, with the usual JSON error body: a 400 that names the field, and nothing stored.
"""

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from helpdesk.errors import json_error


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_unstorable(value: Any, path: str) -> str | None:
    """The path of the first string (key or value) in a JSON document that cannot be stored."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _unstorable(str(key)):
                return f"{path}.{key!r}" if path else repr(key)
            found = _first_unstorable(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, f"{path}[{index}]")
            if found:
                return found
    return None


class UnstorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self.unstorable_field(request)
        if field is not None:
            return json_error(
                "invalid_characters",
                "Text may not contain NUL characters or unpaired surrogates.",
                400,
                fields={field: ["Contains a character that cannot be stored."]},
            )
        return self.get_response(request)

    @staticmethod
    def unstorable_field(request: HttpRequest) -> str | None:
        for key, values in request.GET.lists():
            if _unstorable(key) or any(_unstorable(value) for value in values):
                return key
        if request.content_type == "application/json" and request.body:
            try:
                data = json.loads(request.body)
            except ValueError:
                return None  # not JSON: the view answers that in its own words
            return _first_unstorable(data, "")
        return None
