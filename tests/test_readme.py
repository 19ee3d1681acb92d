"""The README runs as written: its shell blocks, in order, in a copy of the repository.

A block is run unless the text just above it says "not run by the README test" and why (a broker,
a server until Ctrl-C, minutes of benchmark).  The blocks after the quick start run as a newcomer
runs them after it: with the virtual environment active (this interpreter's ``bin`` first on
PATH).  The quick start's first command itself sets up a fresh virtual environment, which takes
about a minute: it runs when ``LDT_README_QUICKSTART=1`` (CI sets it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOT_RUN = "not run by the readme test"
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    line: int
    text: str
    section: str
    reason: str | None  # why it is not run, as the README says just above it


def shell_blocks(readme: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(readme):
        before = readme[: match.start()]
        paragraph = before.rstrip("\n").rsplit("\n\n", 1)[-1]
        sections = re.findall(r"^#{2,3} (.+)$", before, re.MULTILINE)
        reason = None
        if NOT_RUN in paragraph.lower():
            said = paragraph.lower().split(NOT_RUN, 1)[1]
            reason = said.strip(" :()\n") or "(no reason given)"
        blocks.append(Block(before.count("\n") + 2, match.group(1), sections[-1] if sections else "", reason))
    return blocks


BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))
QUICK_START = [b for b in BLOCKS if b.section == "Quick start"]
AFTER = [b for b in BLOCKS if b.section != "Quick start"]


def test_the_quick_start_is_two_one_line_commands_and_ci_runs_the_second() -> None:
    assert len(QUICK_START) == 2
    setup, tests = (block.text.strip() for block in QUICK_START)
    assert "\n" not in setup and "\n" not in tests
    assert setup.startswith("python3 -m venv .venv && ") and setup.endswith(
        "&& . .venv/bin/activate && ldt-catalog build"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_every_block_not_run_says_why() -> None:
    skipped = [b for b in BLOCKS if b.reason is not None]
    assert all(len(b.reason or "") > 10 for b in skipped), skipped


def _copy_of_the_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", "dist", "__pycache__", "*.egg-info", ".pytest_cache")
    shutil.copytree(ROOT, target, ignore=ignore)
    for leftover in ("federation.toml",):  # a developer's own files must not change the run
        (target / leftover).unlink(missing_ok=True)
    return target


def _environment(tmp: Path, venv_bin: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NGSI_LD_", "PYTEST_", "SOURCE_DATE_EPOCH", "VIRTUAL_ENV", "LDT_"))
    }
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    env["TMPDIR"] = str(tmp)
    return env


def _run(block: Block, cwd: Path, env: dict[str, str], timeout: float = 300) -> None:
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, (
        f"README.md:{block.line} ({block.section}) exited {result.returncode}\n{block.text}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def test_the_readme_commands_after_the_quick_start_run_as_written(tmp_path: Path) -> None:
    repo = _copy_of_the_repository(tmp_path / "repo")
    (tmp_path / "tmp").mkdir()
    env = _environment(tmp_path / "tmp", Path(sys.executable).parent)
    _run(Block(0, "ldt-catalog build -q", "Quick start", None), repo, env)  # what the quick start left
    ran = 0
    for block in AFTER:
        if block.reason is None:
            _run(block, repo, env)
            ran += 1
    assert ran >= 4
    assert (repo / "dist" / "dcat.ttl").is_file()  # the federation block ran last, with its config


@pytest.mark.skipif(
    os.environ.get("LDT_README_QUICKSTART") != "1",
    reason="the quick start installs a fresh virtual environment (about a minute): LDT_README_QUICKSTART=1 runs it",
)
def test_the_quick_start_runs_as_written_on_a_fresh_copy(tmp_path: Path) -> None:
    repo = _copy_of_the_repository(tmp_path / "repo")
    (tmp_path / "tmp").mkdir()
    env = _environment(tmp_path / "tmp", Path("/nonexistent"))
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if "/.venv/" not in p + "/")
    _run(QUICK_START[0], repo, env, timeout=900)
    assert (repo / "dist" / "entities.jsonld").is_file()
    assert (repo / ".venv" / "bin" / "ldt-catalog").is_file()
