"""``ldt-catalog publish`` end to end: the real CLI against the loopback test broker over HTTP.

The scenarios (``scenario_*``) are written once and run by two lanes: here against the test broker
(``LoopbackLane`` also inspects its request log and stored expanded entities), and in
``tests/test_live.py`` against a real broker given with ``--broker-url`` (``HttpLane``: state read
over plain HTTP, writes detected through ``modifiedAt``).  Each scenario drives the real CLI
(``ldt_catalog.cli.main``) and inspects the broker through the lane, never through the code under test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from bench.generate import write_pages
from ldt_catalog.cli import main
from ldt_catalog.consume.context_server import ContextServer
from ldt_catalog.ngsild.context import LDT_CONTEXT_URL, LDT_NAMESPACE, contexts_dir, entity_context
from tests.ngsild_broker import TestBroker

SEED_PAGE = Path(__file__).resolve().parent.parent / "seed" / "Local_Digital_Twins_Related_Initiatives.md"
TOOLBOX = "urn:ngsi-ld:Initiative:eu-ldt-toolbox"
DUET = "urn:ngsi-ld:Initiative:duet"
CLUSTER = "urn:ngsi-ld:Cluster:local-digital-twins-related-initiatives"
SEED_IDS = {TOOLBOX, DUET, CLUSTER}
FOREIGN = "urn:ngsi-ld:Initiative:not-made-by-ldt-catalog"
TYPE_IRIS = ("https://schema.org/Project", "http://www.w3.org/2004/02/skos/core#Collection")
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[[Sequence[str]], Outcome]


def copy_seed(directory: Path) -> Path:
    """A private copy of the seed page; scenarios edit it."""
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / SEED_PAGE.name
    shutil.copyfile(SEED_PAGE, page)
    return page


def edit(page: Path, old: str, new: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert old in text, old
    page.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_duet(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    page.write_text(text[: text.index("## DUET")], encoding="utf-8")


class HttpLane:
    """A broker seen over plain HTTP (no ldt-catalog code): ids, attribute IRIs, ``modifiedAt``."""

    def __init__(self, url: str, flavour: str = "generic", publish_args: Sequence[str] = ()) -> None:
        self.url = url.rstrip("/")
        self.flavour = flavour
        self.publish_args = list(publish_args)
        self.http = requests.Session()

    def args(self, page: Path, tenant: str | None = None, *extra: str) -> list[str]:
        tenant_args = ["--tenant", tenant] if tenant else []
        return [
            "publish",
            "--broker",
            self.url,
            "--flavour",
            self.flavour,
            *self.publish_args,
            *tenant_args,
            *extra,
            str(page),
        ]

    def _headers(self, tenant: str | None) -> dict[str, str]:
        return {"Accept": "application/json", **({"NGSILD-Tenant": tenant} if tenant else {})}

    def entities(self, tenant: str | None = None) -> dict[str, dict[str, Any]]:
        """id -> entity (core-compacted: our names as full IRIs, with sysAttrs) for our two types."""
        found: dict[str, dict[str, Any]] = {}
        for type_iri in TYPE_IRIS:
            response = self.http.get(
                f"{self.url}/ngsi-ld/v1/entities",
                headers=self._headers(tenant),
                timeout=10,
                params={"type": type_iri, "options": "sysAttrs", "limit": "100"},
            )
            if response.status_code == 404:  # NonexistentTenant
                return {}
            assert response.status_code == 200, response.text
            found.update({e["id"]: e for e in response.json()})
        return found

    def ids(self, tenant: str | None = None) -> set[str]:
        return set(self.entities(tenant))

    def modified(self, tenant: str | None = None) -> dict[str, str]:
        return {i: str(e.get("modifiedAt")) for i, e in self.entities(tenant).items()}

    def attribute_iris(self, entity_id: str, tenant: str | None = None) -> set[str]:
        entity = self.entities(tenant)[entity_id]
        return {k for k in entity if k not in ("id", "type", "createdAt", "modifiedAt", "@context")}

    def put_foreign(self, tenant: str | None = None) -> None:
        """An Initiative that ldt-catalog did not make (no provenance)."""
        body = {
            "id": FOREIGN,
            "type": "Initiative",
            "@context": entity_context(),
            "name": {"type": "LanguageProperty", "languageMap": {"en": "Someone else's initiative"}},
        }
        response = self.http.post(
            f"{self.url}/ngsi-ld/v1/entities",
            data=json.dumps(body),
            timeout=10,
            headers={**self._headers(tenant), "Content-Type": "application/ld+json"},
        )
        assert response.status_code == 201, response.text

    def hand_edit(self, entity_id: str, tenant: str | None = None) -> None:
        """Someone changes an attribute of ours in the broker directly."""
        body = {
            "https://schema.org/name": {"type": "LanguageProperty", "languageMap": {"en": "Edited by hand"}}
        }
        response = self.http.patch(
            f"{self.url}/ngsi-ld/v1/entities/{quote(entity_id, safe='')}/attrs",
            data=json.dumps(body),
            timeout=10,
            headers={**self._headers(tenant), "Content-Type": "application/json"},
        )
        assert response.status_code in (204, 207), response.text

    def clean(self, tenant: str | None = None) -> None:
        """Remove what the scenarios create (only those ids: a live broker may hold other data)."""
        ids = sorted(self.ids(tenant) & (SEED_IDS | {FOREIGN}))
        if ids:
            response = self.http.post(
                f"{self.url}/ngsi-ld/v1/entityOperations/delete",
                data=json.dumps(ids),
                headers={**self._headers(tenant), "Content-Type": "application/json"},
                timeout=10,
            )
            assert response.status_code in (204, 207), response.text

    # Writes are only observable through the test broker's request log.
    def mark(self) -> int:
        return 0

    def writes_since(self, mark: int) -> list[list[str]] | None:
        return None


# --- scenarios -----------------------------------------------------------------------------------


def scenario_first_publish_then_nothing(
    lane: HttpLane, run: Run, page: Path, tenant: str | None = None
) -> None:
    first = run(lane.args(page, tenant))
    assert first.code == 0, first.err
    assert "created 3, updated 0, unchanged 0, deleted 0, failed 0" in first.out
    assert lane.ids(tenant) == SEED_IDS
    attributes = lane.attribute_iris(DUET, tenant)
    assert {
        "https://schema.org/name",
        LDT_NAMESPACE + "provenance",
        "http://purl.org/dc/terms/isPartOf",
        "https://schema.org/url",
        "http://www.w3.org/ns/dcat#contactPoint",
    } <= attributes, attributes

    before, mark = lane.modified(tenant), lane.mark()
    second = run(lane.args(page, tenant, "--json"))
    assert second.code == 0, second.err
    document = second.json()
    assert document["plan"]["create"] == [] and document["plan"]["update"] == []
    assert sorted(document["result"]["unchanged"]) == sorted(SEED_IDS)
    assert lane.modified(tenant) == before  # the broker saw no write
    writes = lane.writes_since(mark)
    assert writes in (None, []), writes


def scenario_edit_one_initiative(lane: HttpLane, run: Run, page: Path, tenant: str | None = None) -> None:
    assert run(lane.args(page, tenant)).code == 0
    before, mark = lane.modified(tenant), lane.mark()
    # A new paragraph in the toolbox text: the toolbox changes, and DUET (below it) moves down by two
    # lines; its provenance line numbers shift, which must not cause a write.
    edit(
        page,
        "The toolbox aligns with EU policies",
        "A sentence added by an editor.\n\nThe toolbox aligns with EU policies",
    )
    outcome = run(lane.args(page, tenant, "--json"))
    assert outcome.code == 0, outcome.err
    result = outcome.json()["result"]
    assert result["updated"] == [TOOLBOX] and result["created"] == [] and result["deleted"] == []
    after = lane.modified(tenant)
    assert {i for i in after if after[i] != before[i]} == {TOOLBOX}
    writes = lane.writes_since(mark)
    assert writes is None or writes == [[TOOLBOX]], writes


def scenario_hand_edit_is_repaired(lane: HttpLane, run: Run, page: Path, tenant: str | None = None) -> None:
    assert run(lane.args(page, tenant)).code == 0
    lane.hand_edit(DUET, tenant)
    outcome = run(lane.args(page, tenant, "--dry-run", "--json"))
    assert outcome.code == 0, outcome.err
    assert outcome.json()["plan"]["update"] == [{"id": DUET, "attributes": ["https://schema.org/name"]}]
    repaired = run(lane.args(page, tenant, "--json"))
    assert repaired.json()["result"]["updated"] == [DUET]
    name = lane.entities(tenant)[DUET]["https://schema.org/name"]
    assert name["languageMap"] == {"en": "DUET"}


def scenario_prune_only_what_we_made(lane: HttpLane, run: Run, page: Path, tenant: str | None = None) -> None:
    assert run(lane.args(page, tenant)).code == 0
    lane.put_foreign(tenant)
    drop_duet(page)
    kept = run(lane.args(page, tenant))  # without --prune nothing is deleted
    assert kept.code == 0, kept.err
    assert f"keep {DUET}: no longer in the catalogue" in kept.out
    assert f"keep {FOREIGN}: not created by ldt-catalog" in kept.out
    assert lane.ids(tenant) == SEED_IDS | {FOREIGN}
    mark = lane.mark()
    pruned = run(lane.args(page, tenant, "--prune", "--json"))
    assert pruned.code == 0, pruned.err
    assert pruned.json()["result"]["deleted"] == [DUET]
    assert pruned.json()["plan"]["foreignKept"] == [FOREIGN]
    assert lane.ids(tenant) == {TOOLBOX, CLUSTER, FOREIGN}
    writes = lane.writes_since(mark)
    assert writes is None or writes == [[DUET]], writes


def scenario_tenants_are_isolated(lane: HttpLane, run: Run, page: Path, tenants: tuple[str, str]) -> None:
    one, two = tenants
    assert run(lane.args(page, one)).code == 0
    assert lane.ids(one) == SEED_IDS
    assert lane.ids(two) == set()
    drop_duet(page)
    assert run(lane.args(page, two)).code == 0
    assert lane.ids(two) == {TOOLBOX, CLUSTER}
    pruned = run(lane.args(page, two, "--prune"))
    assert pruned.code == 0 and lane.ids(one) == SEED_IDS  # pruning tenant two never touches tenant one


# --- the test-broker lane --------------------------------------------------------------------------

TOKEN = "tok-INTEGRATION-5e1d-do-not-print"


class LoopbackLane(HttpLane):
    """``HttpLane`` plus what only the test broker can show: its request log and stored entities."""

    def __init__(self, broker: TestBroker, publish_args: Sequence[str] = ()) -> None:
        super().__init__(broker.url, broker.flavour, publish_args)
        self.broker = broker

    def mark(self) -> int:
        return len(self.broker.requests_log)

    def writes_since(self, mark: int) -> list[list[str]]:
        """The entity ids of every write request after ``mark`` (one list per request)."""
        written = []
        for entry in self.broker.requests_log[mark:]:
            if entry.method in WRITE_METHODS:
                body = entry.json() if entry.body else []
                written.append(
                    [e["id"] if isinstance(e, dict) else e for e in body]
                    if isinstance(body, list)
                    else [entry.path]
                )
        return written


@pytest.fixture(autouse=True)
def _no_broker_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    for name in (
        "NGSI_LD_BROKER_URL",
        "NGSI_LD_TOKEN",
        "NGSI_LD_OAUTH_TOKEN_URL",
        "NGSI_LD_OAUTH_CLIENT_ID",
        "NGSI_LD_OAUTH_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


def cli_runner(capsys: pytest.CaptureFixture[str]) -> Run:
    """The CLI as a function returning its exit code and what it printed."""

    def invoke(argv: Sequence[str]) -> Outcome:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return cli_runner(capsys)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return copy_seed(tmp_path / "pages")


@pytest.fixture
def lane(broker: TestBroker) -> LoopbackLane:
    return LoopbackLane(broker, ["--retries", "1"])


# --- the shared scenarios --------------------------------------------------------------------------


def test_first_publish_creates_everything_second_writes_nothing(
    lane: LoopbackLane, run: Run, page: Path
) -> None:
    scenario_first_publish_then_nothing(lane, run, page)
    stored = lane.broker.entities()[DUET]  # the broker's own expanded form
    assert stored["type"] == "https://schema.org/Project" or stored["type"] == ["https://schema.org/Project"]
    assert {"https://schema.org/name", "https://w3id.org/ldt-catalog#provenance"} <= set(stored)
    assert lane.writes_since(0) == [sorted(SEED_IDS)]  # one batch request, all three entities


def test_edit_one_initiative_writes_exactly_one_entity(lane: LoopbackLane, run: Run, page: Path) -> None:
    scenario_edit_one_initiative(lane, run, page)


def test_hand_edit_in_the_broker_is_repaired(lane: LoopbackLane, run: Run, page: Path) -> None:
    scenario_hand_edit_is_repaired(lane, run, page)


def test_prune_removes_only_the_dropped_initiative(lane: LoopbackLane, run: Run, page: Path) -> None:
    scenario_prune_only_what_we_made(lane, run, page)


def test_two_tenants_stay_isolated(lane: LoopbackLane, run: Run, page: Path) -> None:
    scenario_tenants_are_isolated(lane, run, page, ("urn:ngsi-ld:tenant:one", "tenant-two"))
    assert all(r.headers.get("NGSILD-Tenant") for r in lane.broker.requests_log)


# --- failures --------------------------------------------------------------------------------------


def test_207_names_the_failing_entity_and_exits_3(lane: LoopbackLane, run: Run, page: Path) -> None:
    lane.broker.faults.partial_207([DUET])
    outcome = run(lane.args(page))
    assert outcome.code == 3
    assert f"failed {DUET}: BadRequestData (HTTP 400)" in outcome.err
    assert "created 2, updated 0, unchanged 0, deleted 0, failed 1" in outcome.out
    assert lane.ids() == {TOOLBOX, CLUSTER}
    again = run(lane.args(page))  # the failure was transient: a re-run completes
    assert again.code == 0 and "created 1, updated 0, unchanged 2" in again.out


def test_503_and_429_are_retried_and_retry_after_is_honoured(
    lane: LoopbackLane, run: Run, page: Path
) -> None:
    # (faults matching one request are all consumed by it, so the 429 hits the read, the 503 the write)
    lane.broker.faults.status(429, method="GET", path="/entities")
    lane.broker.faults.status(503, method="POST", path="/entityOperations", retry_after=1)
    outcome = run(lane.args(page, None, "--retries", "3"))
    assert outcome.code == 0, outcome.err
    log = lane.broker.requests_log
    # read our ids (429, retried), upsert (503, retried), then list both types for leftovers
    assert [r.status for r in log] == [429, 200, 503, 201, 200, 200]
    assert log[3].at - log[2].at >= 0.95  # Retry-After: 1 honoured
    assert "HTTP 429; retry 1 in" in outcome.err and "HTTP 503; retry 1 in 1.0 s" in outcome.err
    assert lane.ids() == SEED_IDS


def test_retries_are_bounded(lane: LoopbackLane, run: Run, page: Path) -> None:
    lane.broker.faults.status(503, method="POST", path="/entityOperations", times=None, retry_after=0)
    outcome = run(lane.args(page, None, "--retries", "2"))
    assert outcome.code == 4
    assert "broker unavailable after 3 attempt(s)" in outcome.err and "Traceback" not in outcome.err
    assert len([r for r in lane.broker.requests_log if r.method == "POST"]) == 3


def test_broker_killed_mid_publish_fails_cleanly_and_a_rerun_converges(
    lane: LoopbackLane, run: Run, page: Path
) -> None:
    lane.broker.faults.kill_after(1)
    outcome = run(lane.args(page, None, "--batch-size", "1", "--retries", "1"))
    assert outcome.code == 4
    assert f"cannot reach {lane.url}: " in outcome.err and "run publish again" in outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    assert len(lane.broker.entities()) == 1  # one entity made it before the broker died

    lane.broker.faults.revive()
    again = run(lane.args(page, None, "--batch-size", "1", "--json"))
    assert again.code == 0, again.err
    result = again.json()["result"]
    assert len(result["created"]) == 2 and len(result["unchanged"]) == 1
    listed = requests.get(
        f"{lane.url}/ngsi-ld/v1/entities",
        params={"type": "https://schema.org/Project", "count": "true"},
        timeout=5,
    )
    assert listed.headers["NGSILD-Results-Count"] == "2"  # no duplicate
    assert set(lane.broker.entities()) == SEED_IDS  # nothing lost
    assert run(lane.args(page, None, "--json")).json()["plan"]["update"] == []


def test_unreachable_broker_exits_4_without_traceback(run: Run, page: Path) -> None:
    outcome = run(["publish", "--broker", "http://127.0.0.1:9", "--retries", "0", str(page)])
    assert outcome.code == 4
    assert "cannot reach http://127.0.0.1:9: connection refused\n" in outcome.err
    assert "nothing was sent" in outcome.err and "Traceback" not in outcome.err


def test_invalid_pages_send_nothing_and_exit_1(broker: TestBroker, run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "Bad.md"
    bad.write_text("no heading, no initiatives\n", encoding="utf-8")
    outcome = run(["publish", "--broker", broker.url, str(bad)])
    assert outcome.code == 1
    assert broker.requests_log == []


def test_usage_errors_exit_2(run: Run, page: Path) -> None:
    assert run(["publish", str(page)]).code == 2  # no broker
    assert (
        run(["publish", "--broker", "http://h", "--flavour", "stellio", "--context-mode", "upload"]).code == 2
    )
    assert run(["publish", "--broker", "http://h", "--insecure", "--ca-bundle", "x.pem"]).code == 2


def test_dry_run_sends_no_write(lane: LoopbackLane, run: Run, page: Path) -> None:
    outcome = run(lane.args(page, None, "--dry-run"))
    assert outcome.code == 0
    assert f"would create {DUET}" in outcome.out and "nothing was sent" in outcome.out
    assert lane.writes_since(0) == []


# --- secrets ---------------------------------------------------------------------------------------


def test_token_is_sent_but_never_printed(
    lane: LoopbackLane,
    run: Run,
    page: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    lane.broker.faults.partial_207([DUET])
    first = run(lane.args(page, None, "--token-file", str(token_file)))
    lane.broker.faults.status(401, path="/entities")
    monkeypatch.setenv("NGSI_LD_TOKEN", TOKEN)
    second = run(lane.args(page))
    assert (first.code, second.code) == (3, 3)
    assert "HTTP 401" in second.err
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in lane.broker.requests_log)
    everything = first.out + first.err + second.out + second.err + caplog.text
    assert TOKEN not in everything


# --- context modes ---------------------------------------------------------------------------------


def _posted(broker: TestBroker) -> list[Any]:
    return [r for r in broker.requests_log if r.method == "POST" and "entityOperations" in r.path]


def test_inline_mode(lane: LoopbackLane, run: Run, page: Path) -> None:
    assert run(lane.args(page)).code == 0
    [post] = _posted(lane.broker)
    assert post.headers["Content-Type"] == "application/ld+json" and "Link" not in post.headers
    assert all("@context" in e for e in post.json())


def test_link_mode(broker: TestBroker, run: Run, page: Path) -> None:
    lane = LoopbackLane(broker, ["--context-mode", "link", "--context-url", LDT_CONTEXT_URL])
    scenario_first_publish_then_nothing(lane, run, page)
    [post] = _posted(broker)
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["Link"] == (
        f'<{LDT_CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    )
    assert all("@context" not in e for e in post.json())


def test_upload_mode(broker_factory: Callable[..., TestBroker], run: Run, page: Path) -> None:
    broker = broker_factory(flavour="orion-ld")
    lane = LoopbackLane(broker, ["--context-mode", "upload"])
    scenario_first_publish_then_nothing(lane, run, page)
    uploads = [r for r in broker.requests_log if r.path.endswith("/jsonldContexts")]
    assert uploads and uploads[0].json() == {
        "@context": json.loads((contexts_dir() / "ldt-context.jsonld").read_text(encoding="utf-8"))[
            "@context"
        ]
    }
    link = _posted(broker)[0].headers["Link"]
    assert link.startswith(f"<{broker.url}/ngsi-ld/v1/jsonldContexts/")


@pytest.fixture
def context_server() -> Iterator[ContextServer]:
    server = ContextServer(("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_link_mode_with_serve_context(
    broker: TestBroker, run: Run, page: Path, context_server: ContextServer
) -> None:
    lane = LoopbackLane(
        broker,
        [
            "--context-mode",
            "link",
            "--context-url",
            f"{context_server.url}/ldt-context.jsonld",
            "--retries",
            "0",
        ],
    )
    scenario_first_publish_then_nothing(lane, run, page)


def test_serve_context_is_read_only_and_serves_only_contexts_and_vocabulary(
    context_server: ContextServer,
) -> None:
    base = context_server.url
    ok = requests.get(f"{base}/ldt-context.jsonld", timeout=5)
    assert ok.status_code == 200 and ok.headers["Content-Type"] == "application/ld+json"
    assert ok.content == (contexts_dir() / "ldt-context.jsonld").read_bytes()
    vocabulary = requests.get(f"{base}/ldt-vocab.ttl", timeout=5)
    assert vocabulary.status_code == 200 and vocabulary.headers["Content-Type"] == "text/turtle"
    assert vocabulary.content == (contexts_dir() / "ldt-vocab.ttl").read_bytes()
    head = requests.head(f"{base}/ldt-context.jsonld", timeout=5)
    assert head.status_code == 200 and head.content == b""
    for path in (
        "/",
        "/contexts/",
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/README.md",
        "//etc/passwd",
        "/ldt-context.jsonld/..",
        "/nope.jsonld",
    ):
        assert requests.get(base + path, timeout=5).status_code == 404, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = requests.request(method, f"{base}/ldt-context.jsonld", data=b"{}", timeout=5)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"


def test_serve_context_command_prints_its_url(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ldt_catalog", "serve-context", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("serving ") and "read-only at http://127.0.0.1:" in first
        url = first.split(" at ", 1)[1].strip().rstrip("/")
        assert requests.get(f"{url}/ldt-context.jsonld", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_sigterm_during_publish_removes_the_spool_and_exits_143(tmp_path: Path) -> None:
    pages, spool_parent = tmp_path / "pages", tmp_path / "tmp"
    spool_parent.mkdir()
    write_pages(2000, pages, seed=5)  # a few seconds of checks: time to be stopped in the middle
    env = {**os.environ, "TMPDIR": str(spool_parent)}
    command = [
        sys.executable,
        "-m",
        "ldt_catalog",
        "publish",
        "--dry-run",
        "--broker",
        "http://127.0.0.1:9",
        str(pages),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(spool_parent.glob("ldt-catalog-spool-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(spool_parent.glob("ldt-catalog-spool-*")), "the spool should have been made"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "terminated" in err
    assert list(spool_parent.iterdir()) == []  # the spool, index and surveys are gone


# --- the check cache, the dry run's errors, no litter -------------------------------------------------


def test_unchanged_pages_skip_shacl_and_an_edit_or_no_cache_runs_it(
    lane: LoopbackLane, run: Run, page: Path
) -> None:
    every_check = "checks passed: json-schema, shacl\n"
    assert every_check in run(lane.args(page)).err
    again = run(lane.args(page))
    assert again.code == 0 and "SHACL skipped" in again.err and "checks passed: json-schema\n" in again.err
    assert every_check in run(lane.args(page, None, "--no-cache")).err
    edit(page, "The toolbox aligns with EU policies", "The toolbox aligns with European policies")
    edited = run(lane.args(page))
    assert every_check in edited.err and "updated 1" in edited.out
    assert every_check in run(lane.args(page, "other-tenant")).err  # another tenant: its own entry


def test_dry_run_against_an_unknown_host_fails_once_in_one_line(run: Run, page: Path) -> None:
    outcome = run(["publish", "--broker", "http://no-such-host.invalid:1026", "--dry-run", str(page)])
    assert outcome.code == 4
    message = outcome.err.split("ldt-catalog publish: ", 1)[1]
    assert message.splitlines() == [
        "cannot reach http://no-such-host.invalid:1026: name not resolved",
        "dry run stopped after comparing 0 entities; nothing was sent",
    ]
    assert "retry" not in outcome.err and "urllib3" not in outcome.err


def test_replace_option_upserts_the_changed_entity_whole(lane: LoopbackLane, run: Run, page: Path) -> None:
    assert run(lane.args(page)).code == 0
    edit(page, "The toolbox aligns with EU policies", "The toolbox aligns with European policies")
    mark = lane.mark()
    outcome = run(lane.args(page, None, "--replace", "--json"))
    assert outcome.json()["plan"]["replaced"] == [TOOLBOX]
    assert [r.path for r in lane.broker.requests_log[mark:] if r.method in WRITE_METHODS] == [
        "/ngsi-ld/v1/entityOperations/upsert"
    ]


def test_a_killed_runs_spool_is_reaped_and_a_live_ones_is_kept(tmp_path: Path) -> None:
    from ldt_catalog.pipeline import litter

    dead = tmp_path / "ldt-catalog-spool-dead"
    live = tmp_path / "ldt-catalog-spool-live"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "entities.jsonl").write_text("{}\n")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from ldt_catalog.pipeline import litter\n"
            "with litter.claimed(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()",
            str(live),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    killed = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from ldt_catalog.pipeline import litter\n"
            "with litter.claimed(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(dead),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    with holder, killed:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert killed.stdout is not None and killed.stdout.readline().strip() == "held"
            assert litter.reap(tmp_path) == []  # both alive
            killed.send_signal(signal.SIGKILL)
            killed.wait(10)
            assert litter.reap(tmp_path) == [dead]
            assert not dead.exists() and live.exists()
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(10)
            killed.kill()
            killed.wait(10)
    assert litter.reap(tmp_path) == [live]  # its run ended without removing it
