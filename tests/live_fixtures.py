"""Fixtures of the live lane (auto-loaded by ``tests/conftest.py``).

``pytest -m live --broker-url URL [--flavour F] [--context-base-url URL]`` runs the scenarios of
``tests/test_publish.py`` against a real broker (see ``deploy/README.md``).  Without
``--context-base-url`` entities are sent with their context inline; with it, in link mode pointing
at ``URL/ldt-context.jsonld`` (for example a ``ldt-catalog serve-context`` the broker can reach).

Tenants: ``LDT_LIVE_TENANTS=a,b`` names the two tenants of the isolation scenario.  Orion-LD (with
``-multiservice``) and Scorpio create tenants on first write; Stellio only knows the tenants
declared in its configuration, so the scenario is skipped there unless the variable is set.

The lane touches only the ids the scenarios use (the seed initiatives, their cluster and one
foreign test entity): it removes them before and after each test and leaves everything else alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_publish import HttpLane, Run, cli_runner, copy_seed

DEFAULT_TENANTS = ("urn:ngsi-ld:tenant:ldt-live-one", "urn:ngsi-ld:tenant:ldt-live-two")


@pytest.fixture
def live_run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Run:
    """The CLI as a function; unlike the loopback lane, NGSI_LD_TOKEN / NGSI_LD_OAUTH_* are honoured.
    The check cache is private to the test (each scenario starts from a cold cache)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    return cli_runner(capsys)


@pytest.fixture
def live_page(tmp_path: Path) -> Path:
    return copy_seed(tmp_path / "pages")


@pytest.fixture
def live_lane(request: pytest.FixtureRequest) -> Iterator[HttpLane]:
    url = request.config.getoption("--broker-url")
    if not url:
        pytest.skip("live lane: give --broker-url URL")
    flavour = request.config.getoption("--flavour")
    base = request.config.getoption("--context-base-url")
    extra = ["--retries", "2"]
    if base:
        extra += ["--context-mode", "link", "--context-url", f"{base.rstrip('/')}/ldt-context.jsonld"]
    lane = HttpLane(url, flavour, extra)
    lane.clean()
    try:
        yield lane
    finally:
        lane.clean()


@pytest.fixture
def live_tenants(live_lane: HttpLane) -> Iterator[tuple[str, str]]:
    raw = os.environ.get("LDT_LIVE_TENANTS", "")
    if raw:
        one, two = (t.strip() for t in raw.split(",", 1))
    elif live_lane.flavour == "stellio":
        pytest.skip("Stellio serves only tenants declared in its configuration: set LDT_LIVE_TENANTS=a,b")
    else:
        one, two = DEFAULT_TENANTS
    for tenant in (one, two):
        live_lane.clean(tenant)
    try:
        yield one, two
    finally:
        for tenant in (one, two):
            live_lane.clean(tenant)
