"""Wait for what a process says instead of sleeping: a readiness line comes however slow the
machine is, and as soon as it can."""

from __future__ import annotations

import queue
import threading
import time
from typing import IO


class LineReader:
    """Reads a text stream's lines in a thread, so a test can wait for one with a deadline."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None, "start the process with stdout=subprocess.PIPE, text=True"
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._new.put(line)
        self._new.put(None)  # end of stream: the process closed it or exited

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 180.0) -> None:
        """Return once ``count`` lines containing ``text`` were read; fail with everything read
        when the stream ends or ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            try:
                line = self._new.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no {count} line(s) with {text!r} in {timeout:.0f} s:\n{self.text()}"
                ) from None
            if line is None:
                raise AssertionError(
                    f"output ended before {count} line(s) with {text!r}:\n" + self.text()
                )
            self.lines.append(line)

    def text(self) -> str:
        """Everything read so far."""
        return "".join(self.lines)

    def rest(self, timeout: float = 60.0) -> str:
        """Everything, once the stream has ended (call after the process exited)."""
        self._thread.join(timeout)
        while True:
            try:
                line = self._new.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return self.text()
