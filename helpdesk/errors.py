"""One application error type and one API exception handler, so every bad input answers the same way:
``{"error": {"code": ..., "message": ..., "fields": ...}}`` with the right HTTP status."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the product was broken by the caller; safe to show to them."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, code: str = "invalid", fields: dict | None = None, status_code=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str = "Not found.", **kwargs):
        kwargs.setdefault("code", "not_found")
        super().__init__(message, **kwargs)


def whole_number(raw, *, name: str, default: int, minimum: int = 0) -> int:
    """A whole-number parameter from a query string or JSON body, or a clear error naming it."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ApplicationError(f"{name} must be a whole number.", fields={name: ["Not a whole number."]}) from None
    if value < minimum:
        raise ApplicationError(f"{name} must be at least {minimum}.", fields={name: [f"At least {minimum}."]})
    return value


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def json_error(code: str, message: str, status_code: int, fields: dict | None = None) -> JsonResponse:
    """The same error body for plain Django views (health, webhooks, chat page endpoints)."""
    return JsonResponse(error_body(code, message, fields), status=status_code)


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {}


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(exc.detail, list):
            message = "; ".join(str(item) for item in exc.detail)
        else:
            message = "; ".join(f"{key}: {' '.join(value)}" for key, value in fields.items()) or "Invalid input."
        response.data = error_body("invalid", message, fields)
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(code, str(detail))
    return response
