"""ProblemDetails errors (ETSI GS CIM 009 §5.5.2, error types of §6.3.2 and Table 5.5.2-1).

Every refusal of the test broker is an ``NgsiError``; the HTTP layer turns it into an
RFC 7807 body (``type``, ``title``, ``detail``, ``status``) with ``Content-Type: application/json``.
"""

from __future__ import annotations

from typing import Any

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"

# error type -> (default HTTP status, title)
_KINDS: dict[str, tuple[int, str]] = {
    "InvalidRequest": (400, "Invalid request"),
    "BadRequestData": (400, "Bad request data"),
    "AlreadyExists": (409, "Already exists"),
    "OperationNotSupported": (422, "Operation not supported"),
    "ResourceNotFound": (404, "Resource not found"),
    "NonexistentTenant": (404, "Nonexistent tenant"),
    "InternalError": (500, "Internal error"),
    "TooComplexQuery": (403, "Too complex query"),
    "TooManyResults": (403, "Too many results"),
    "LdContextNotAvailable": (503, "JSON-LD @context not available"),
    "NotImplemented": (501, "Not implemented"),
}


class NgsiError(Exception):
    """A refusal the broker reports as a ProblemDetails body."""

    def __init__(
        self, kind: str, detail: str, *, status: int | None = None, title: str | None = None
    ) -> None:
        default_status, default_title = _KINDS[kind]
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status if status is not None else default_status
        self.title = title or default_title

    def problem(self) -> dict[str, Any]:
        return {"type": ERRORS + self.kind, "title": self.title, "detail": self.detail, "status": self.status}


def bad_data(detail: str) -> NgsiError:
    return NgsiError("BadRequestData", detail)


def invalid(detail: str) -> NgsiError:
    return NgsiError("InvalidRequest", detail)


def not_found(detail: str) -> NgsiError:
    return NgsiError("ResourceNotFound", detail)
