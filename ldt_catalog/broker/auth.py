"""Credentials for the broker: a fixed bearer token, or OAuth2 client credentials (Keycloak style).

Secrets never appear in a ``repr``, a ``str`` or an exception message; ``secrets()`` lists them so
``BrokerClient`` can scrub anything the server echoes back.  Where a token comes from (environment,
file) is decided by the CLI; these classes only hold and refresh it.  ``AuthenticationFailed`` has
its place in the exception tree drawn in ``broker.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from ldt_catalog.broker.client import BrokerError, BrokerUnavailable


class AuthenticationFailed(BrokerError):
    """The token endpoint refused the client credentials or answered something unusable."""


class Secret:
    """A string that does not show itself: ``repr``/``str`` give ``'***'``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


class BearerToken:
    """A fixed token, sent as ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token:
            raise AuthenticationFailed("the bearer token is empty")
        self._token = Secret(token)

    def authorization(self) -> str:
        return f"Bearer {self._token.reveal()}"

    def on_unauthorized(self) -> bool:
        return False  # a fixed token does not get better by asking again

    def secrets(self) -> tuple[str, ...]:
        return (self._token.reveal(),)

    def __repr__(self) -> str:
        return "BearerToken(token=***)"


class OAuth2ClientCredentials:
    """OAuth2 client-credentials grant (RFC 6749 §4.4) against a token endpoint such as Keycloak's
    ``{realm}/protocol/openid-connect/token``.

    The access token is fetched on first use, refreshed ``leeway`` seconds before it expires, and
    once more when the broker answers 401.  The client authenticates with HTTP Basic (§2.3.1).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        verify: bool | str = True,
        leeway: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_secret:
            raise AuthenticationFailed(f"OAuth2 client {client_id!r}: the client secret is empty")
        self.token_url = token_url
        self.client_id = client_id
        self._secret = Secret(client_secret)
        self.scope = scope
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.verify = verify
        self.leeway = leeway
        self._clock = clock
        self._token: Secret | None = None
        self._expires_at = 0.0
        self.fetches = 0

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            "client_secret=***, token=***)"
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(s.reveal() for s in (self._secret, self._token) if s)

    def authorization(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - self.leeway:
            self._fetch()
        assert self._token is not None
        return f"Bearer {self._token.reveal()}"

    def on_unauthorized(self) -> bool:
        self._token = None
        return True

    def _scrub(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def _fetch(self) -> None:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        where = f"POST {self.token_url}"
        try:
            response = self.session.post(
                self.token_url,
                data=data,
                auth=(self.client_id, self._secret.reveal()),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                verify=self.verify,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise BrokerUnavailable(
                f"{where}: token endpoint unreachable: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from None
        self.fetches += 1
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
            reason = ""
            if isinstance(body, dict):
                reason = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
            raise AuthenticationFailed(
                self._scrub(
                    f"{where}: client {self.client_id!r} got no access token (HTTP {response.status_code}"
                    f"{', ' + reason if reason else ''})"
                )
            )
        self._token = Secret(str(body["access_token"]))
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 300.0
        self._expires_at = self._clock() + lifetime
