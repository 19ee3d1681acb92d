"""Subscriptions and notifications end to end, over real HTTP against the loopback test broker.

``subscribe`` (the CLI) puts our subscription on the broker, ``publish`` changes an initiative,
the broker POSTs a notification to our receiver (``NotificationReceiver``, what ``listen``
runs), which prints ``Initiative DUET updated: description``.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ldt_catalog.broker import subscriptions
from ldt_catalog.cli import main
from ldt_catalog.consume import notifications
from ldt_catalog.consume.notifications import NotificationReceiver, parse_time
from tests.conftest import ROOT, SEED_DIR
from tests.ngsild_broker import TestBroker

SHIPPED = ROOT / "subscriptions"
SUB_ID = "urn:ngsi-ld:Subscription:ldt-catalog:initiative-changes"
DUET = "urn:ngsi-ld:Initiative:duet"
TOOLBOX = "urn:ngsi-ld:Initiative:eu-ldt-toolbox"
PAGE = "Local_Digital_Twins_Related_Initiatives.md"
OLD_TEXT = "DUET (Digital Urban European Twins) is a European innovation initiative"
NEW_TEXT = "DUET (Digital Urban European Twins) is a pioneering European innovation initiative"
WAIT = 5.0


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """publish keeps its check cache under $XDG_CACHE_HOME: never the user's in tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver(out=io.StringIO()) as started:
        started.start()
        yield started


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(SEED_DIR / PAGE, folder / PAGE)
    return folder


def edit_duet_description(pages: Path) -> None:
    page = pages / PAGE
    text = page.read_text(encoding="utf-8")
    assert OLD_TEXT in text
    page.write_text(text.replace(OLD_TEXT, NEW_TEXT), encoding="utf-8")


def publish(broker: TestBroker, pages: Path) -> None:
    assert main(["publish", str(pages), "--broker", broker.url, "--quiet"]) == 0


def subscription_writes(broker: TestBroker) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in broker.requests_log
        if "/subscriptions" in r.path and r.method in ("POST", "PATCH", "DELETE")
    ]


def write_subscription(folder: Path, name: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((SHIPPED / "initiative-changes.jsonld").read_text(encoding="utf-8"))
    payload["id"] = f"{subscriptions.SUBSCRIPTION_ID_PREFIX}{name}"
    payload.update(changes)
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.jsonld").write_text(json.dumps(payload), encoding="utf-8")
    return payload


# -- the round trip ---------------------------------------------------------------------------------


def test_notification_round_trip(
    broker: TestBroker, receiver: NotificationReceiver, pages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subscribe", "--broker", broker.url, "--endpoint", receiver.url]) == 0
    assert f"create    {SUB_ID}" in capsys.readouterr().out
    assert list(broker.subscriptions_of()) == [SUB_ID]

    publish(broker, pages)  # both initiatives are new: one notification each
    assert receiver.wait_for(2, WAIT), receiver.lines
    assert sorted(e.id for n in receiver.received for e in n.entities) == [DUET, TOOLBOX]
    assert all(n.trigger_reason == "entityCreated" for n in receiver.received)
    assert any(
        line.startswith("Initiative DUET created: ") and "description" in line for line in receiver.lines
    )

    edit_duet_description(pages)
    publish(broker, pages)
    assert receiver.wait_for(3, WAIT), receiver.lines
    assert receiver.lines[-1] == "Initiative DUET updated: description"
    printed = receiver.out.getvalue() if isinstance(receiver.out, io.StringIO) else ""
    assert printed.splitlines()[-1] == "Initiative DUET updated: description"

    notification = receiver.received[-1]
    assert notification.subscription_id == SUB_ID
    assert parse_time(notification.raw["notifiedAt"]) is not None
    assert notification.notified_at.tzinfo is not None
    assert notification.context_source == "inline" and notification.context_resolved
    assert "@context" in notification.raw
    (entity,) = notification.entities
    assert entity.id == DUET and entity.type == "Initiative" and entity.name == "DUET"
    assert NEW_TEXT in entity.attributes["description"]["languageMap"]["en"]

    # The receiver can print before the broker has recorded the delivery: let it settle.
    assert broker.wait_for_notifications(5.0)
    assert main(["subscriptions", "--broker", broker.url]) == 0
    listing = capsys.readouterr().out
    assert SUB_ID in listing and "sent 3, failed 0" in listing and "last notification never" not in listing
    assert main(["subscriptions", "--broker", broker.url, "--format", "json"]) == 0
    (status,) = json.loads(capsys.readouterr().out)
    assert status["times_sent"] == 3 and status["times_failed"] == 0
    assert parse_time(status["last_notification"]) is not None
    assert status["last_failure"] is None and status["status"] == "active"


def test_resubscribe_is_idempotent(
    broker: TestBroker, receiver: NotificationReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["subscribe", "--broker", broker.url, "--endpoint", receiver.url]
    assert main(args) == 0
    writes = subscription_writes(broker)
    assert writes == ["POST /ngsi-ld/v1/subscriptions"]
    capsys.readouterr()
    assert main(args) == 0
    assert subscription_writes(broker) == writes  # nothing written the second time
    assert capsys.readouterr().out.splitlines() == [f"unchanged {SUB_ID}", "1 unchanged"]


def test_changed_file_is_patched(
    broker: TestBroker, receiver: NotificationReceiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "subs"
    write_subscription(folder, "initiative-changes")
    base = ["subscribe", "--broker", broker.url, "--dir", str(folder), "--endpoint", receiver.url]
    assert main(base) == 0
    write_subscription(folder, "initiative-changes", throttling=1)
    capsys.readouterr()
    assert main([*base, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"would update    {SUB_ID} (throttling)"
    assert "throttling" not in broker.subscriptions_of()[SUB_ID]
    assert main(base) == 0
    assert broker.subscriptions_of()[SUB_ID]["throttling"] == 1
    assert subscription_writes(broker)[-1].startswith("PATCH /ngsi-ld/v1/subscriptions/urn")
    assert main(["subscribe", "--broker", broker.url, "--dir", str(folder), "--endpoint", "ftp://x/y"]) == 1
    assert "--endpoint: must be an absolute http(s) URL" in capsys.readouterr().err


def test_prune_removes_only_ours(
    broker: TestBroker, receiver: NotificationReceiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "subs"
    write_subscription(folder, "initiative-changes")
    write_subscription(folder, "cluster-changes", entities=[{"type": "Cluster"}])
    foreign: dict[str, Any] = {
        "id": "urn:ngsi-ld:Subscription:someone-else",
        "type": "Subscription",
        "entities": [{"type": "https://schema.org/Project"}],
        "notification": {"endpoint": {"uri": receiver.url}},
    }
    requests.post(f"{broker.url}/ngsi-ld/v1/subscriptions", json=foreign, timeout=WAIT).raise_for_status()
    base = ["subscribe", "--broker", broker.url, "--dir", str(folder), "--endpoint", receiver.url]
    assert main(base) == 0
    assert len(broker.subscriptions_of()) == 3

    (folder / "cluster-changes.jsonld").unlink()
    assert main(base) == 0  # without --prune nothing is deleted
    assert len(broker.subscriptions_of()) == 3
    capsys.readouterr()
    assert main([*base, "--prune", "--dry-run"]) == 0
    assert "would delete    urn:ngsi-ld:Subscription:ldt-catalog:cluster-changes" in capsys.readouterr().out
    assert len(broker.subscriptions_of()) == 3
    assert main([*base, "--prune"]) == 0
    assert sorted(broker.subscriptions_of()) == [SUB_ID, foreign["id"]]

    assert main(["subscriptions", "--broker", broker.url]) == 0
    out = capsys.readouterr().out
    assert SUB_ID in out and foreign["id"] not in out
    assert main(["subscriptions", "--broker", broker.url, "--all"]) == 0
    assert foreign["id"] in capsys.readouterr().out


def test_link_header_context(broker: TestBroker, tmp_path: Path, pages: Path) -> None:
    """accept application/json: the broker sends the context in a Link header (a URL it serves)."""
    folder = tmp_path / "subs"
    payload = write_subscription(folder, "initiative-changes")
    with (
        NotificationReceiver(out=io.StringIO(), fetch_contexts=True) as fetching,
        NotificationReceiver(out=io.StringIO()) as offline,
    ):
        fetching.start()
        offline.start()
        for name, target in (("via-link", fetching), ("names-as-sent", offline)):
            notification = dict(payload["notification"])
            notification["endpoint"] = {"uri": target.url, "accept": "application/json"}
            write_subscription(folder, name, notification=notification)
        (folder / "initiative-changes.jsonld").unlink()
        assert main(["subscribe", "--broker", broker.url, "--dir", str(folder)]) == 0
        publish(broker, pages)
        assert fetching.wait_for(2, WAIT) and offline.wait_for(2, WAIT)
        for target, resolved in ((fetching, True), (offline, False)):
            first = target.received[0]
            assert first.context_source == "link"
            assert "@context" not in first.raw
            assert first.context_resolved is resolved
            assert sorted(e.name or "" for n in target.received for e in n.entities) == [
                "DUET",
                "EU LDT Toolbox",
            ]
        edit_duet_description(pages)
        publish(broker, pages)
        assert fetching.wait_for(3, WAIT) and offline.wait_for(3, WAIT)
        assert fetching.lines[-1] == offline.lines[-1] == "Initiative DUET updated: description"


# -- loading and checking files ---------------------------------------------------------------------


def test_shipped_subscription() -> None:
    (sub,) = subscriptions.load_subscriptions(SHIPPED)
    assert sub.id == SUB_ID
    assert sub.payload["entities"] == [{"type": "Initiative"}]
    assert sub.payload["notification"]["endpoint"]["uri"] == subscriptions.DEFAULT_ENDPOINT
    assert sub.payload["@context"][-1] == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"
    (moved,) = subscriptions.load_subscriptions(SHIPPED, endpoint="https://example.org/hook")
    assert moved.payload["notification"]["endpoint"]["uri"] == "https://example.org/hook"


def test_every_problem_is_reported_with_its_file(tmp_path: Path) -> None:
    good = json.loads((SHIPPED / "initiative-changes.jsonld").read_text(encoding="utf-8"))
    (tmp_path / "a-broken.jsonld").write_text('{\n  "id": "x",\n  oops\n}', encoding="utf-8")
    bad = {
        **good,
        "id": "not a uri",
        "entities": [{"id": "urn:x"}],
        "notification": {"endpoint": {"uri": "ftp://example.org/x"}, "format": "xml"},
        "timesSent": 3,
    }
    (tmp_path / "b-bad.jsonld").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "c-foreign.jsonld").write_text(
        json.dumps({**good, "id": "urn:ngsi-ld:Subscription:x"}), encoding="utf-8"
    )
    (tmp_path / "d-dup.jsonld").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "e-dup.jsonld").write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(subscriptions.SubscriptionError) as caught:
        subscriptions.load_subscriptions(tmp_path)
    text = [str(d) for d in caught.value.diagnostics]
    assert text[0].startswith(f"{tmp_path / 'a-broken.jsonld'}:3: not JSON")
    b = str(tmp_path / "b-bad.jsonld")
    assert f"{b}: \"id\" must be a URI, got 'not a uri'" in text
    assert f'{b}: entities[0] needs a "type"' in text
    assert (
        f"{b}: \"notification.endpoint.uri\" must be an absolute http(s) URL, got 'ftp://example.org/x'"
        in text
    )
    assert f'{b}: "notification.format" must be one of normalized, keyValues, concise' in text
    assert f'{b}: "timesSent" is set by the broker; remove it from the file' in text
    assert any(
        t.startswith(
            f'{tmp_path / "c-foreign.jsonld"}: "id" must start with urn:ngsi-ld:Subscription:ldt-catalog:'
        )
        for t in text
    )
    assert (
        f"{tmp_path / 'e-dup.jsonld'}: duplicate subscription id {SUB_ID} (also in {tmp_path / 'd-dup.jsonld'})"
        in text
    )


def test_cli_reports_bad_files_and_missing_broker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.jsonld").write_text("[]", encoding="utf-8")
    assert main(["subscribe", "--broker", "http://127.0.0.1:9", "--dir", str(tmp_path)]) == 1
    assert f"{tmp_path / 'x.jsonld'}: a subscription must be a JSON object" in capsys.readouterr().err
    monkeypatch.delenv("NGSI_LD_BROKER_URL", raising=False)
    assert main(["subscribe", "--broker", "", "--dir", str(SHIPPED)]) == 2
    assert "no broker" in capsys.readouterr().err


def test_unreachable_broker_exit_4(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["subscriptions", "--broker", f"http://127.0.0.1:{port}", "--retries", "0"]) == 4
    assert f"cannot reach http://127.0.0.1:{port}: connection refused" in capsys.readouterr().err


def test_plan_compares_declared_members_as_iris() -> None:
    (sub,) = subscriptions.load_subscriptions(SHIPPED)
    as_broker_returns = {
        **{k: v for k, v in sub.payload.items() if k != "@context"},
        "entities": [{"type": "https://schema.org/Project"}],
        "notificationTrigger": list(reversed(sub.payload["notificationTrigger"])),
        "status": "active",
        "isActive": True,
        "jsonldContext": "http://broker/ctx",
        "notification": {**sub.payload["notification"], "status": "ok", "timesSent": 4},
    }
    (action,) = subscriptions.plan([sub], [as_broker_returns])
    assert action.kind == "unchanged", action.changed
    other = {**as_broker_returns, "entities": [{"type": "https://schema.org/Thing"}]}
    (action,) = subscriptions.plan([sub], [other])
    assert (action.kind, action.changed) == ("update", ["entities"])
    foreign = {"id": "urn:ngsi-ld:Subscription:other"}
    ours_gone = {"id": f"{subscriptions.SUBSCRIPTION_ID_PREFIX}gone"}
    actions = subscriptions.plan([sub], [foreign, ours_gone], prune=True)
    assert [(a.kind, a.id) for a in actions] == [("create", SUB_ID), ("delete", ours_gone["id"])]


# -- the receiver ---------------------------------------------------------------------------------


def _notification(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "urn:ngsi-ld:Notification:1",
        "type": "Notification",
        "subscriptionId": SUB_ID,
        "notifiedAt": "2025-01-31T10:00:00.123Z",
        "data": [
            {
                "id": DUET,
                "type": "Initiative",
                "name": {"type": "LanguageProperty", "languageMap": {"en": "DUET"}},
            }
        ],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"not json", "application/json", "not JSON"),
        (json.dumps(_notification(notifiedAt="yesterday")).encode(), "application/json", "notifiedAt"),
        (
            json.dumps(_notification(notifiedAt="2025-01-31T10:00:00")).encode(),
            "application/json",
            "time zone",
        ),
        (
            json.dumps(_notification(data={"id": DUET})).encode(),
            "application/json",
            '"data" must be an array',
        ),
        (json.dumps(_notification(data=[{"type": "Initiative"}])).encode(), "application/json", "data[0]"),
        (json.dumps(_notification(type="Other")).encode(), "application/json", '"type"'),
        (json.dumps(_notification()).encode(), "text/plain", "Content-Type"),
    ],
)
def test_receiver_rejects_what_is_not_a_notification(
    receiver: NotificationReceiver, body: bytes, content_type: str, problem: str
) -> None:
    response = requests.post(receiver.url, data=body, headers={"Content-Type": content_type}, timeout=WAIT)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert problem in response.json()["detail"]
    assert receiver.received == []


def test_receiver_accepts_a_notification(receiver: NotificationReceiver) -> None:
    response = requests.post(receiver.url, json=_notification(triggerReason="entityDeleted"), timeout=WAIT)
    assert response.status_code == 204
    assert receiver.wait_for(1, WAIT)
    assert receiver.lines == ["Initiative DUET deleted"]
    assert receiver.received[0].context_source == "core"


def test_lines_name_what_changed() -> None:
    tracker = notifications.ChangeTracker()
    first = notifications.parse_notification(json.dumps(_notification(triggerReason="entityCreated")))
    assert tracker.lines(first) == ["Initiative DUET created: name"]
    renamed = _notification(
        data=[
            {
                "id": DUET,
                "type": "Initiative",
                "name": {"type": "LanguageProperty", "languageMap": {"en": "DUET 2"}},
                "title": {"type": "LanguageProperty", "languageMap": {"en": "T"}},
            }
        ]
    )
    assert tracker.lines(notifications.parse_notification(json.dumps(renamed))) == [
        "Initiative DUET 2 updated: name, title"
    ]
    shown = _notification(
        triggerReason="attributeUpdated",
        data=[
            {
                "id": DUET,
                "type": "Initiative",
                "name": {"type": "LanguageProperty", "languageMap": {"en": "DUET"}},
                "title": {
                    "type": "LanguageProperty",
                    "languageMap": {"en": "New"},
                    "previousLanguageMap": {"en": "T"},
                },
            }
        ],
    )
    assert notifications.ChangeTracker().lines(notifications.parse_notification(json.dumps(shown))) == [
        "Initiative DUET updated: title"
    ]


def test_baseline_from_the_build(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(SEED_DIR), "--out", str(out), "--quiet"]) == 0
    entities = json.loads((out / "entities.jsonld").read_text(encoding="utf-8"))
    tracker = notifications.ChangeTracker.from_entities(entities)
    duet = next(e for e in entities if e["id"] == DUET)
    changed = {**duet, "keyRole": {"type": "LanguageProperty", "languageMap": {"en": "New role"}}}
    context = changed.pop("@context")
    body = _notification(data=[changed])
    body["@context"] = context
    assert tracker.lines(notifications.parse_notification(json.dumps(body))) == [
        "Initiative DUET updated: keyRole"
    ]


def test_listen_command_stops_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(self: NotificationReceiver, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(NotificationReceiver, "serve_forever", interrupted)
    assert main(["listen", "--port", "0"]) == 0
    err = capsys.readouterr().err
    assert "listening for notifications on http://127.0.0.1:" in err
    assert "stopped after 0 notification(s)" in err


def test_receiver_answers_500_on_its_own_failure(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(notifications.ChangeTracker):
        def lines(self, notification: notifications.Notification) -> list[str]:
            raise RuntimeError("boom")

    with NotificationReceiver(out=io.StringIO(), tracker=Broken()) as broken:
        broken.start()
        response = requests.post(broken.url, json=_notification(), timeout=WAIT)
    assert response.status_code == 500
    assert response.json()["type"].endswith("InternalError")
    assert "boom" in capsys.readouterr().err
