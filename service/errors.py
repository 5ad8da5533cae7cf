"""Domain errors with stable codes, and the one place that turns any error into a JSON answer."""

from __future__ import annotations

import re
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from service.metrics import API_ERRORS

log = structlog.get_logger()


class ApiError(Exception):
    """An answer to the client: HTTP status, a stable machine code, a human message, extra fields."""

    def __init__(self, status_code: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers: dict[str, str] = {}


def not_found(kind: str = "comment") -> ApiError:
    # Also the answer for another site's ids: never reveal that they exist.
    return ApiError(404, f"{kind}_not_found", f"No such {kind}.")


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _field_name(item: dict[str, Any]) -> str | None:
    """Litestar names the innermost object (`data` for the body itself); msgspec names the field in it."""
    key = item.get("key")
    key = None if key == "data" else key
    match = _NAMED_FIELD.search(str(item.get("message", "")))
    if match:
        return f"{key}.{match.group(1)}" if key else match.group(1)
    return str(key) if key else None


def _from_validation(exc: ValidationException) -> tuple[int, dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    fields = [{"field": _field_name(item), "message": item.get("message")} for item in extra if isinstance(item, dict)]
    field = fields[0]["field"] if fields else None
    message = f"Invalid value for `{field}`: {fields[0]['message']}." if field else "Invalid request."
    return 422, error_body("invalid_field", message, field=field, errors=fields)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        status, body = exc.status_code, error_body(exc.code, exc.message, **exc.details)
        headers = exc.headers
    elif isinstance(exc, ValidationException):
        status, body = _from_validation(exc)
    elif isinstance(exc, ClientException) and exc.status_code == 400:
        # Litestar raises a bare 400 only when the body cannot be decoded at all.
        status, body = 400, error_body("malformed_json", f"The request body is not valid JSON: {exc.detail}.")
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        code = {
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            413: "request_too_large",
        }.get(status, "http_error")
        body = error_body(code, str(exc.detail))
        headers = dict(exc.headers or {})
    else:
        log.exception("request.unhandled_error", error_type=type(exc).__name__)
        status = HTTP_500_INTERNAL_SERVER_ERROR
        body = error_body("internal_error", "Something went wrong; the error was logged.")
    API_ERRORS.labels(code=body["error"]["code"]).inc()
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)
