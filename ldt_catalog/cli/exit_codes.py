"""The exit codes of every command: the one contract scripts and CI rely on (listed in ``--help``)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1
    USAGE = 2
    PUBLISH_FAILED = 3
    UNAVAILABLE = 4
    INTERRUPTED = 130
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success (with --dry-run: planned, nothing sent)",
    ExitCode.INVALID: (
        "invalid input: the pages, a config file or the produced data break a rule; every problem\n"
        "     is listed as FILE:LINE: message and nothing is written or sent"
    ),
    ExitCode.USAGE: (
        "usage error: unknown command or option, missing or contradicting arguments, or an input\n"
        "     that does not exist (a page, folder or file named on the command line, dist/ not built yet)"
    ),
    ExitCode.PUBLISH_FAILED: "publishing finished but some entities failed, or the broker refused a request",
    ExitCode.UNAVAILABLE: (
        "a resource was unavailable: broker unreachable, port in use, file not writable, disk full, ..."
    ),
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C): temporary files are removed, no output half-written",
    ExitCode.TERMINATED: "terminated (SIGTERM): as for Ctrl-C",
}


def exit_codes_help() -> str:
    """The exit-code table of ``--help``, from ``ExitCode`` itself."""
    return "exit codes:\n" + "".join(f"  {code.value}  {code.meaning}\n" for code in ExitCode)
