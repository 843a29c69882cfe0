"""Progress is a callback: library code reports, only the CLI draws (on stderr)."""
from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class Progress(Protocol):
    def start(self, total: int | None, unit: str) -> None: ...
    def advance(self, n: int = 1, **counts: int) -> None: ...
    def note(self, message: str) -> None: ...
    def finish(self) -> None: ...


class NullProgress:
    """The default: report nothing."""

    def start(self, total, unit):  # noqa: D401
        pass

    def advance(self, n=1, **counts):
        pass

    def note(self, message):
        pass

    def finish(self):
        pass


class StderrProgress:
    """One status line on stderr: done/total unit, rate, ETA, extra counters.

    Redraws in place on a terminal; elsewhere prints a line at most every *interval* s.
    """

    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 2.0):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = 0.2 if self.tty else interval
        self.total: int | None = None
        self.unit = "items"
        self.done = 0
        self.counts: dict[str, int] = {}
        self.t0 = time.monotonic()
        self._last = 0.0

    def start(self, total, unit):
        self.total, self.unit, self.done = total, unit, 0
        self.counts = {}                  # each phase counts its own
        self.t0 = time.monotonic()
        self._draw(force=True)

    def advance(self, n=1, **counts):
        self.done += n
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        self._draw()

    def note(self, message):
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(f"{self.label}: {message}\n")
        self.stream.flush()

    def finish(self):
        self._draw(force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.t0, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.done}/{self.total}" if self.total is not None else str(self.done), self.unit,
                 f"{rate:.2f}/s"]
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"ETA {_duration((self.total - self.done) / rate)}")
        parts += [f"{k}={v}" for k, v in self.counts.items()]
        return f"{self.label}: " + " ".join(parts)

    def _draw(self, force: bool = False):
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
