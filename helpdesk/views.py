"""Error pages: JSON for API and webhook paths, HTML for people."""

from django.shortcuts import render

from helpdesk.errors import json_error


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/hooks/", "/healthz")) or "application/json" in request.headers.get(
        "Accept", ""
    )


def _error(request, status: int, code: str, message: str):
    if _wants_json(request):
        return json_error(code, message, status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _error(request, 403, "forbidden", "You may not see this page.")


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", "There is nothing at this address.")


def server_error(request):
    return _error(request, 500, "server_error", "Something went wrong on our side; nothing you sent was lost.")
