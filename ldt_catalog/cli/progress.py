"""Progress on long work: one line on stderr, redrawn in place on a terminal, silent elsewhere.

The library reports progress as short messages (``pipeline.stages.Progress``, the broker client's
``progress``).  A message of the form ``STAGE: DONE/TOTAL UNIT`` is a count, drawn as
``STAGE: DONE/TOTAL UNIT (PERCENT, RATE/s)``; any other message names the stage being started.
Both are drawn only on a terminal and never with ``-q``: a log or a pipe gets no progress noise.
Notes (a retry, a batch split) are different: they are printed as lines, terminal or not, unless
``-q``, so a CI log still says why a publish took long.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

COUNT = re.compile(r"^(?P<stage>[^:]+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\w+)")
REDRAW_EVERY = 0.1
"""Seconds between two redraws of the line: drawing every page of 20,000 would cost more than it tells."""

T = TypeVar("T")


class ProgressLine:
    """The progress line of one command.  ``status`` takes the pipeline's messages, ``note`` prints
    a line, and ``client`` (for the broker client) sends counts to the line and the rest to notes."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        live = terminal if terminal is not None else _is_terminal(self.stream)
        self.live = live and not quiet
        self.clock = clock
        self._shown = 0  # width of the line on screen, to clear it
        self._last_draw = float("-inf")
        self._started: dict[str, tuple[float, int]] = {}  # stage -> (time, done) at its first count
        self._sent_before: dict[str, int] = {}  # client op -> entities of the finished calls
        self._sent: dict[str, int] = {}

    def status(self, message: str) -> None:
        """A pipeline message: a count or the start of a stage, drawn on a terminal only."""
        if not self.live:
            return
        match = COUNT.match(message)
        if match is None:
            self._draw(message, force=True)
            return
        stage, done, total = match["stage"], int(match["done"]), int(match["total"])
        now = self.clock()
        began, done_then = self._started.setdefault(stage, (now, done))
        if done < total and now - self._last_draw < REDRAW_EVERY:
            return
        elapsed = now - began
        rate = f", {(done - done_then) / elapsed:,.0f}/s" if elapsed > 0.5 and done > done_then else ""
        percent = f"{100 * done / total:.0f}%" if total else "100%"
        self._draw(f"{stage}: {done:,}/{total:,} {match['unit']} ({percent}{rate})", force=done >= total)

    def note(self, message: str) -> None:
        """A line worth keeping (a retry, a split batch): printed unless ``-q``, terminal or not."""
        if self.quiet:
            return
        self.clear()
        print(f"  ... {message}", file=self.stream, flush=True)

    def client(self, message: str) -> None:
        """The broker client's callback: each batch call counts from 1 again (``upsert: 100/100``);
        here the calls add up to a running total per operation (``upsert: 4,200 entities sent``)."""
        match = COUNT.match(message)
        if match is None:
            self.note(message)
            return
        op, done, total = match["stage"], int(match["done"]), int(match["total"])
        running = self._sent_before.get(op, 0) + done
        self._sent[op] = running
        if done >= total:
            self._sent_before[op] = running
        if self.live:
            sent = ", ".join(f"{name}: {count:,} sent" for name, count in self._sent.items())
            self._draw(f"{self._compared_text()}{sent}", force=False)

    def sent(self, op: str) -> int:
        """Entities sent so far by ``op`` (``upsert``, ``delete``), all calls together."""
        return self._sent.get(op, 0)

    def counted(self, items: Iterable[T], stage: str, total: int, unit: str) -> Iterator[T]:
        """``items`` unchanged, each one counted on the line as ``stage: done/total unit``."""
        self._compared = (stage, 0, total, unit)
        for done, item in enumerate(items, 1):
            self._compared = (stage, done, total, unit)
            if self.live and (done == total or self.clock() - self._last_draw >= REDRAW_EVERY):
                self.status(f"{stage}: {done}/{total} {unit}")
            yield item

    _compared: tuple[str, int, int, str] | None = None

    def _compared_text(self) -> str:
        if self._compared is None:
            return ""
        stage, done, total, unit = self._compared
        return f"{stage}: {done:,}/{total:,} {unit}; "

    def clear(self) -> None:
        """Remove the line from the screen (before printing results, and at the end)."""
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def _draw(self, text: str, *, force: bool) -> None:
        now = self.clock()
        if not force and now - self._last_draw < REDRAW_EVERY:
            return
        self._last_draw = now
        width = _columns() - 1
        text = text if len(text) <= width else text[: width - 1] + "…"
        self.stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self.stream.flush()
        self._shown = len(text)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns
