"""The CLI's contract with a newcomer: outputs that tell the truth, --strict, one vocabulary,
clear usage errors, progress only where it helps."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ldt_catalog import __version__
from ldt_catalog.cli import build_parser, main
from ldt_catalog.cli.progress import ProgressLine
from ldt_catalog.pipeline import outputs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "federation.example.toml"
SEED_PAGE = "Local_Digital_Twins_Related_Initiatives.md"

WARNING_PAGE = """\
# Warned Initiatives

Intro.

## ONE – The First

**Short Description:**
Fine.

**Funding:**
Someone pays.

**Webpage / Reference Link:**
https://one.example.eu
"""


@pytest.fixture
def warned_pages(tmp_path: Path) -> Path:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "warned.md").write_text(WARNING_PAGE, encoding="utf-8")
    return pages


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    yield


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# -- outputs -----------------------------------------------------------------------------------------


def test_a_plain_build_removes_the_federation_files_of_an_earlier_build_and_keeps_the_users(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(seed_dir), "--out", str(out), "--federation", str(EXAMPLE_CONFIG), "-q"]) == 0
    assert {"dcat.ttl", "dcat.jsonld", "gaiax.jsonld", "site/index.html"} <= set(_files(out))
    (out / "notes.txt").write_text("mine\n")
    capsys.readouterr()
    assert main(["build", str(seed_dir), "--out", str(out), "--no-site"]) == 0
    assert set(_files(out)) == {
        "entities.jsonld",
        "entities.ttl",
        "catalog.jsonld",
        "catalog.ttl",
        "report.json",
        "notes.txt",
    }
    printed = capsys.readouterr().out
    assert "removed" in printed and "dcat.ttl" in printed
    report = json.loads((out / "report.json").read_text())
    assert "notes.txt" not in {f["path"] for f in report["files"]}


def test_owned_sub_folders_are_emptied_and_removed_but_a_users_file_keeps_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def text(value: str) -> outputs.Writer:
        return lambda handle: handle.write(value)

    def report(files: object) -> dict[str, object]:
        return {"files": [f.to_json() for f in files]}  # type: ignore[attr-defined]

    outputs.write_outputs(
        out, {"a.txt": text("a"), "site/index.html": text("i"), "site/x/y.html": text("y")}, report
    )
    (out / "site" / "mine.css").write_text("user")
    outcome = outputs.write_outputs(out, {"a.txt": text("b")}, report)
    assert _files(out) == {
        "a.txt": b"b",
        "report.json": (out / "report.json").read_bytes(),
        "site/mine.css": b"user",
    }
    assert not (out / "site" / "x").exists()
    assert sorted(p.relative_to(out).as_posix() for p in outcome.removed) == [
        "site/index.html",
        "site/x/y.html",
    ]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_report_listing_paths_outside_out_removes_nothing_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / "report.json").write_text(
        json.dumps({"files": [{"path": "../victim.txt"}, {"path": "/etc/passwd"}]})
    )
    outcome = outputs.write_outputs(out, {"a.txt": lambda h: h.write("a")}, lambda files: {})
    assert victim.read_text() == "keep"
    assert outcome.removed == [] and "outside the output folder" in outcome.notes[0]


def test_a_failing_writer_leaves_out_as_it_was_and_a_new_out_is_not_created(tmp_path: Path) -> None:
    def broken(handle: object) -> None:
        raise RuntimeError("disk trouble")

    with pytest.raises(RuntimeError):
        outputs.write_outputs(
            tmp_path / "new", {"a.txt": lambda h: h.write("a"), "b.txt": broken}, lambda f: {}
        )
    assert list(tmp_path.iterdir()) == []
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "a.txt").write_text("before")
    with pytest.raises(RuntimeError):
        outputs.write_outputs(existing, {"a.txt": lambda h: h.write("a"), "b.txt": broken}, lambda f: {})
    assert _files(existing) == {"a.txt": b"before"}
    assert [p.name for p in existing.iterdir()] == ["a.txt"]


def test_out_follows_the_umask_and_an_existing_folder_keeps_its_mode(tmp_path: Path, seed_dir: Path) -> None:
    previous = os.umask(0o022)
    try:
        assert main(["build", str(seed_dir), "--out", str(tmp_path / "new"), "-q"]) == 0
        existing = tmp_path / "existing"
        existing.mkdir()
        existing.chmod(0o750)
        assert main(["build", str(seed_dir), "--out", str(existing), "-q"]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "new" / "entities.jsonld").stat().st_mode) == 0o644
    assert stat.S_IMODE(existing.stat().st_mode) == 0o750


def test_report_names_the_tool_the_time_and_hashes_every_page_and_file(
    tmp_path: Path, seed_dir: Path, epoch: None
) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(seed_dir), "--out", str(out), "--federation", str(EXAMPLE_CONFIG), "-q"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["tool"] == {"name": "ldt-catalog", "version": __version__}
    assert report["builtAt"] == "2023-11-14T22:13:20Z"
    page = seed_dir / SEED_PAGE
    assert [p["sha256"] for p in report["pages"]] == [hashlib.sha256(page.read_bytes()).hexdigest()]
    listed = {f["path"]: f for f in report["files"]}
    assert set(listed) == set(_files(out)) - {"report.json"}
    assert {"dcat.ttl", "dcat.jsonld", "gaiax.jsonld"} <= set(listed)
    for name, entry in listed.items():
        data = (out / name).read_bytes()
        assert entry == {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_only_report_json_differs_between_builds_without_source_date_epoch(
    tmp_path: Path, seed_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["build", str(seed_dir), "--out", str(first), "-q"]) == 0
    assert main(["build", str(seed_dir), "--out", str(second), "-q"]) == 0
    a, b = _files(first), _files(second)
    assert {k: v for k, v in a.items() if k != "report.json"} == {
        k: v for k, v in b.items() if k != "report.json"
    }
    without_time = [json.loads(x["report.json"]) for x in (a, b)]
    for report in without_time:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report.pop("builtAt"))
    assert without_time[0] == without_time[1]


def test_the_shipped_seed_stands_in_for_a_missing_seed_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 0
    assert "reading the seed shipped with ldt-catalog" in capsys.readouterr().err
    assert (tmp_path / "dist" / "entities.jsonld").is_file()


# -- --strict ----------------------------------------------------------------------------------------


def test_strict_build_and_validate_fail_on_a_warning_naming_file_and_line(
    tmp_path: Path, warned_pages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["validate", str(warned_pages)]) == 0
    assert "1 warning(s)" in capsys.readouterr().out
    shown = (warned_pages / "warned.md").as_posix()
    for command in (["build", str(warned_pages), "--out", str(out)], ["validate", str(warned_pages)]):
        assert main([*command, "--strict"]) == 1
        err = capsys.readouterr().err
        assert re.search(
            rf"^{re.escape(shown)}:10: .*unknown label \"Funding\".*--strict", err, re.MULTILINE
        ), err
        assert "nothing was written" in err
    assert not out.exists()


def test_strict_publish_sends_nothing(warned_pages: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) has no broker: had anything been sent, the exit would be 4, not 1.
    assert (
        main(["publish", str(warned_pages), "--broker", "http://127.0.0.1:9", "--strict", "--retries", "0"])
        == 1
    )
    assert "unknown label" in capsys.readouterr().err


# -- validate's count ---------------------------------------------------------------------------------


def test_validate_counts_every_warning_it_printed(capsys: pytest.CaptureFixture[str], seed_dir: Path) -> None:
    assert main(["validate", str(seed_dir), "--dcat", "--gaiax", "--federation", str(EXAMPLE_CONFIG)]) == 0
    captured = capsys.readouterr()
    from_shapes = sum(int(m) for m in re.findall(r"violation\(s\), (\d+) warning\(s\)", captured.out))
    from_pages = sum(1 for line in captured.err.splitlines() if ": warning: " in line)
    total = int(re.search(r"; (\d+) warning\(s\)$", captured.out.strip()).group(1))  # type: ignore[union-attr]
    assert from_shapes > 0
    assert total == from_shapes + from_pages


# -- one vocabulary and clear usage errors ----------------------------------------------------------------


def test_old_spellings_still_work_but_are_hidden() -> None:
    parser = build_parser()
    assert parser.parse_args(["build", "--broker-url", "http://b"]).broker == "http://b"
    assert parser.parse_args(["query", "x", "--data", str(ROOT)]).data == ROOT
    assert parser.parse_args(["subscriptions", "--format", "json"]).legacy_format == "json"
    helps = {name: _help(name) for name in ("build", "query", "subscriptions")}
    assert "--broker-url" not in helps["build"] and "--broker URL" in helps["build"]
    assert "--data" not in helps["query"] and "--out DIR" in helps["query"]
    assert "--format" not in helps["subscriptions"] and "--json" in helps["subscriptions"]


def _help(command: str) -> str:
    parser = build_parser()
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict) and command in action.choices:
            return str(action.choices[command].format_help())
    raise AssertionError(command)


@pytest.mark.parametrize("command", ["publish", "subscribe", "subscriptions"])
def test_every_broker_command_has_the_same_connection_options(command: str) -> None:
    text = _help(command)
    for option in (
        "--broker URL",
        "--tenant TENANT",
        "--token-file FILE",
        "--oauth-token-url URL",
        "--oauth-client-id ID",
        "--oauth-client-secret-file FILE",
        "--ca-bundle FILE",
        "--insecure",
        "--timeout SECONDS",
        "--retries N",
    ):
        assert option in text, (command, option)


@pytest.mark.parametrize("command", ["build", "validate", "publish"])
def test_quiet_and_strict_everywhere_the_pipeline_runs(command: str) -> None:
    text = _help(command)
    assert "--quiet, -q" in text and "--strict" in text


def test_every_command_help_is_short_and_explains_every_option() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(getattr(a, "choices", None), dict)).choices
    for name, command in commands.items():
        text = command.format_help()
        assert "first steps" not in text, name
        for action in command._actions:
            assert action.help, (name, action.option_strings)


def test_an_unknown_query_name_lists_the_shipped_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed_dir: Path
) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(seed_dir), "--out", str(out), "-q"]) == 0
    assert main(["query", "no-such-query", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no shipped query named 'no-such-query'" in err and "contact-points" in err
    assert "CONSTRUCT" not in err


def test_listen_on_a_port_in_use_names_the_port_and_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["listen", "--port", str(port)]) == 4
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert "Errno" not in err


def test_listen_does_not_default_to_a_port_of_the_deployed_brokers() -> None:
    from ldt_catalog.broker.subscriptions import DEFAULT_ENDPOINT
    from ldt_catalog.cli.consume import DEFAULT_LISTEN_PORT

    used = set()
    for compose in (ROOT / "deploy").rglob("compose.yaml"):
        used |= {int(p) for p in re.findall(r"\"127\.0\.0\.1:(\d+):\d+\"", compose.read_text())}
    assert used and DEFAULT_LISTEN_PORT not in used
    assert f":{DEFAULT_LISTEN_PORT}/" in DEFAULT_ENDPOINT
    shipped = json.loads((ROOT / "subscriptions" / "initiative-changes.jsonld").read_text())
    assert shipped["notification"]["endpoint"]["uri"] == DEFAULT_ENDPOINT


# -- progress ----------------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_on_a_terminal_shows_stage_count_and_rate() -> None:
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, terminal=True, clock=clock)
    line.status("reading pages: 1/200 pages")
    clock.now = 2.0
    line.status("reading pages: 101/200 pages")
    assert "reading pages: 101/200 pages (50%, 50/s)" in stream.getvalue()
    line.clear()
    assert stream.getvalue().endswith("\r")


@pytest.mark.parametrize(("terminal", "quiet"), [(False, False), (True, True)])
def test_no_progress_off_a_terminal_or_with_quiet(terminal: bool, quiet: bool) -> None:
    stream = io.StringIO()
    line = ProgressLine(stream, terminal=terminal, quiet=quiet)
    line.status("reading pages: 1/2 pages")
    line.status("SHACL on 3 entities")
    line.client("upsert: 100/100 entities sent")
    assert stream.getvalue() == ""


def test_publish_progress_is_a_running_total_and_notes_still_print() -> None:
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, terminal=True, clock=clock)
    for _ in line.counted(range(250), "compared", 250, "entities"):
        pass
    for message in (
        "upsert: 100/100 entities sent",
        "upsert: 100/150 entities sent",
        "upsert: 150/150 entities sent",
    ):
        clock.now += 1
        line.client(message)
    assert line.sent("upsert") == 250
    assert "compared: 250/250 entities; upsert: 250 sent" in stream.getvalue()
    quiet_log = io.StringIO()
    ProgressLine(quiet_log, terminal=False).client("upsert: HTTP 503; retry 1 in 0.5 s")
    assert quiet_log.getvalue() == "  ... upsert: HTTP 503; retry 1 in 0.5 s\n"


def test_build_prints_no_progress_when_not_a_terminal(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(seed_dir, pages)
    assert main(["build", str(pages), "--out", str(tmp_path / "dist")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "reading pages" not in err
