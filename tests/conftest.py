"""Shared test options and fixtures.

The live lane: ``pytest -m live --broker-url URL [--flavour F]`` runs the integration tests against
a real NGSI-LD broker; without ``--broker-url`` those tests are skipped.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from ldt_catalog.accelerators import set_reference_mode

# LDT_CATALOG_REFERENCE=1 runs the whole suite with the reference libraries in place of our
# accelerated steps (pyld, rdflib, pySHACL, jsonschema); CI runs it both ways.
set_reference_mode(os.environ.get("LDT_CATALOG_REFERENCE", "") not in ("", "0"))

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed"

pytest_plugins = [
    name
    for name in ("tests.ngsild_broker.fixtures", "tests.live_fixtures")
    if importlib.util.find_spec(name) is not None
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ldt-catalog live lane")
    group.addoption(
        "--broker-url", default=None, help="URL of a real NGSI-LD broker for the live tests (-m live)"
    )
    group.addoption(
        "--flavour",
        default="generic",
        choices=["orion-ld", "scorpio", "stellio", "generic"],
        help="which broker --broker-url points at (sets the publish defaults)",
    )
    group.addoption(
        "--context-base-url",
        default=None,
        help="URL at which the broker can fetch our contexts (link mode), if not inline",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--broker-url"):
        return
    skip = pytest.mark.skip(reason="live lane: give --broker-url URL to run against a real broker")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    return SEED_DIR
