"""The live lane: the scenarios of ``tests/test_publish.py`` against a real broker (``-m live``).

Fixtures (``live_lane``, ``live_run``, ``live_page``, ``live_tenants``) are in ``tests/live_fixtures.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_publish import (
    HttpLane,
    Run,
    scenario_edit_one_initiative,
    scenario_first_publish_then_nothing,
    scenario_hand_edit_is_repaired,
    scenario_prune_only_what_we_made,
    scenario_tenants_are_isolated,
)

pytestmark = pytest.mark.live


def test_live_first_publish_then_nothing(live_lane: HttpLane, live_run: Run, live_page: Path) -> None:
    scenario_first_publish_then_nothing(live_lane, live_run, live_page)


def test_live_edit_one_initiative(live_lane: HttpLane, live_run: Run, live_page: Path) -> None:
    scenario_edit_one_initiative(live_lane, live_run, live_page)


def test_live_hand_edit_is_repaired(live_lane: HttpLane, live_run: Run, live_page: Path) -> None:
    scenario_hand_edit_is_repaired(live_lane, live_run, live_page)


def test_live_prune_only_what_we_made(live_lane: HttpLane, live_run: Run, live_page: Path) -> None:
    scenario_prune_only_what_we_made(live_lane, live_run, live_page)


def test_live_tenants_are_isolated(
    live_lane: HttpLane, live_tenants: tuple[str, str], live_run: Run, live_page: Path
) -> None:
    scenario_tenants_are_isolated(live_lane, live_run, live_page, live_tenants)
