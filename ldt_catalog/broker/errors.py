"""Errors a broker answers with, as typed exceptions, and the per-entity results of batches.

The exception tree::
    LdtCatalogError
    └── BrokerError                      talking to an NGSI-LD broker failed
        ├── BrokerConfigError            bad client settings (tenant with control characters, no context URL ...)
        ├── BrokerUnavailable            connection refused/reset, timeouts, 429/502/503/504 after every retry
        ├── AuthenticationFailed         (auth.py) the token endpoint refused us or answered nonsense
        └── BrokerProblem                the broker answered with an error; fallback for unknown ProblemDetails types
            ├── InvalidRequest           400  the request is syntactically wrong
            ├── BadRequestData           400  the payload breaks a rule (§4.6.4 characters, bad ids ...)
            ├── PayloadTooLarge          413  body or batch over the broker's limit (batches are split and re-sent)
            ├── Unauthorized             401/403 without a ProblemDetails type we know
            ├── AlreadyExists            409
            ├── OperationNotSupported    422
            ├── ResourceNotFound         404
            ├── NonexistentTenant        404  (Orion-LD spells it NonExistingTenant)
            ├── TooComplexQuery          403
            ├── TooManyResults           403
            ├── InternalError            500
            ├── NotImplementedByBroker   501
            └── LdContextNotAvailable    503  the broker could not fetch our @context

Each message names the request, the entity id or attribute when the broker gave one, and what the
broker expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ldt_catalog.errors import LdtCatalogError

ERROR_TYPE_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"


# --- exceptions ----------------------------------------------------------------------------------


class BrokerError(LdtCatalogError):
    """Talking to an NGSI-LD broker failed."""


class BrokerConfigError(BrokerError):
    """The client was given settings it cannot use."""


class BrokerUnavailable(BrokerError):
    """The broker could not be reached, or kept answering 'try later' until the retry budget ran out."""


class BrokerProblem(BrokerError):
    """The broker answered with an error; ``problem`` is its ProblemDetails body (or a stand-in)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: Mapping[str, Any] | None = None,
        entity_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem: dict[str, Any] = dict(problem or {})
        self.entity_id = entity_id

    @property
    def type_name(self) -> str:
        raw = str(self.problem.get("type") or "")
        return raw.rsplit("/", 1)[-1] if raw else type(self).__name__


class InvalidRequest(BrokerProblem): ...


class BadRequestData(BrokerProblem): ...


class PayloadTooLarge(BrokerProblem): ...


class Unauthorized(BrokerProblem): ...


class AlreadyExists(BrokerProblem): ...


class OperationNotSupported(BrokerProblem): ...


class ResourceNotFound(BrokerProblem): ...


class NonexistentTenant(BrokerProblem): ...


class TooComplexQuery(BrokerProblem): ...


class TooManyResults(BrokerProblem): ...


class InternalError(BrokerProblem): ...


class NotImplementedByBroker(BrokerProblem): ...


class LdContextNotAvailable(BrokerProblem): ...


PROBLEM_TYPES: Mapping[str, type[BrokerProblem]] = {
    "InvalidRequest": InvalidRequest,
    "BadRequestData": BadRequestData,
    "AlreadyExists": AlreadyExists,
    "OperationNotSupported": OperationNotSupported,
    "ResourceNotFound": ResourceNotFound,
    "NonexistentTenant": NonexistentTenant,
    "NonExistingTenant": NonexistentTenant,  # Orion-LD's spelling (FIWARE/context.Orion-LD#948)
    "TooComplexQuery": TooComplexQuery,
    "TooManyResults": TooManyResults,
    "InternalError": InternalError,
    "NotImplemented": NotImplementedByBroker,
    "LdContextNotAvailable": LdContextNotAvailable,
}
STATUS_FALLBACK: Mapping[int, type[BrokerProblem]] = {
    400: BadRequestData,
    401: Unauthorized,
    403: Unauthorized,
    404: ResourceNotFound,
    409: AlreadyExists,
    413: PayloadTooLarge,
    422: OperationNotSupported,
    500: InternalError,
    501: NotImplementedByBroker,
}


def problem_class(problem: Mapping[str, Any], status: int | None) -> type[BrokerProblem]:
    """The exception class for a ProblemDetails body: by ``type`` URI, then by status, else ``BrokerProblem``."""
    if status == 413:
        return PayloadTooLarge
    raw = problem.get("type")
    if isinstance(raw, str) and raw:
        name = raw.rsplit("/", 1)[-1]
        if name in PROBLEM_TYPES:
            return PROBLEM_TYPES[name]
        return BrokerProblem  # a type URI we do not know: never guess from the status
    if status is not None and status in STATUS_FALLBACK:
        return STATUS_FALLBACK[status]
    return BrokerProblem


def problem_text(problem: Mapping[str, Any]) -> str:
    """``title: detail`` of a ProblemDetails (Scorpio nests ``detail`` as ``{"message": ...}``)."""
    detail: Any = problem.get("detail")
    if isinstance(detail, Mapping):
        detail = detail.get("message") or json.dumps(detail, ensure_ascii=False)
    parts = [str(p) for p in (problem.get("title"), detail) if p]
    return ": ".join(parts) or json.dumps(dict(problem), ensure_ascii=False)[:300]


def make_problem(
    problem: Mapping[str, Any], status: int | None, where: str, entity_id: str | None = None
) -> BrokerProblem:
    cls = problem_class(problem, status)
    name = str(problem.get("type") or "").rsplit("/", 1)[-1] or cls.__name__
    subject = f" entity {entity_id}:" if entity_id else ""
    code = f" (HTTP {status})" if status is not None else ""
    return cls(
        f"{where}:{subject} {name}{code}: {problem_text(problem)}",
        status=status,
        problem=problem,
        entity_id=entity_id,
    )


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityFailure:
    entity_id: str
    reason: str
    problem: BrokerProblem | None = None


@dataclass
class BatchResult:
    succeeded: list[str] = field(default_factory=list)
    failed: list[EntityFailure] = field(default_factory=list)

    def extend(self, other: BatchResult) -> None:
        self.succeeded.extend(other.succeeded)
        self.failed.extend(other.failed)


def parse_batch_207(body: Any, sent_ids: Sequence[str], where: str) -> BatchResult:
    """Per-entity outcome of a 207, whatever shape the broker uses.

    * ETSI / Orion-LD / Stellio: ``{"success": [id, ...], "errors": [{"entityId", "error": ProblemDetails}]}``
      (older Stellio: ``"error"`` is a list of strings);
    * Scorpio 4/5: ``[{"id", "type": "Upsert", "success": [...]} | {"id", "failure": [ProblemDetails]}]``
      (ScorpioBroker/ScorpioBroker#466).

    Ids we sent that the body does not name as failed count as succeeded.
    """
    failures: dict[str, EntityFailure] = {}

    def add(entity_id: Any, error: Any, status: int | None = None) -> None:
        eid = str(entity_id)
        problem: BrokerProblem | None = None
        if isinstance(error, Mapping):
            code = error.get("status", error.get("errorCode", status))
            problem = make_problem(error, code if isinstance(code, int) else None, where, eid)
            reason = str(problem).split(f"entity {eid}: ", 1)[-1]
        elif isinstance(error, list):
            reason = "; ".join(str(e) for e in error) or "failed (no reason given)"
        else:
            reason = str(error) if error else "failed (no reason given)"
        failures[eid] = EntityFailure(eid, reason, problem)

    if isinstance(body, Mapping):
        for item in body.get("errors") or body.get("failure") or []:
            if isinstance(item, Mapping):
                add(item.get("entityId", item.get("id")), item.get("error", item.get("failure")))
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, Mapping) and item.get("failure"):
                errors = item["failure"]
                add(
                    item.get("id", item.get("entityId")),
                    errors[0] if isinstance(errors, list) and errors else errors,
                )
    else:
        for eid in sent_ids:
            add(eid, "the broker answered 207 Multi-Status without saying which entities failed")
    result = BatchResult()
    for eid in sent_ids:
        if eid in failures:
            result.failed.append(failures.pop(eid))
        else:
            result.succeeded.append(eid)
    result.failed.extend(failures.values())  # ids we did not send (should not happen): still reported
    return result
