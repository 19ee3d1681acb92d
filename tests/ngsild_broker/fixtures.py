"""pytest fixtures for the test broker (load with ``pytest_plugins = ["tests.ngsild_broker.fixtures"]``).

* ``broker``: a started ``TestBroker()`` (generic flavour), stopped after the test.
* ``broker_factory``: ``broker_factory(flavour="scorpio", max_batch=10, ...)`` -> started
  ``TestBroker``; every broker made is stopped after the test.
* ``notification_receiver``: a started ``NotificationReceiver`` (``.url``, ``.wait_for(n)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.ngsild_broker.receiver import NotificationReceiver
from tests.ngsild_broker.server import TestBroker


@pytest.fixture
def broker() -> Iterator[TestBroker]:
    with TestBroker() as started:
        yield started


@pytest.fixture
def broker_factory() -> Iterator[Callable[..., TestBroker]]:
    made: list[TestBroker] = []

    def make(**kwargs: Any) -> TestBroker:
        started = TestBroker(**kwargs).start()
        made.append(started)
        return started

    try:
        yield make
    finally:
        for started in made:
            started.stop()


@pytest.fixture
def notification_receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as receiver:
        yield receiver
