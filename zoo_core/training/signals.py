"""Stopping on SIGINT / SIGTERM without losing work: the first signal asks the trainer to stop after the
current optimizer step (it then writes a checkpoint and the best weights); later signals only say that the
save is under way, so a second Ctrl-C cannot cut it short."""
from __future__ import annotations

import signal
import sys
import threading
from typing import Optional

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """While active (``with StopSignals() as signals``), ``signals.received`` is the first signal that came,
    or None. Outside the main thread signals cannot be caught, and this does nothing."""

    def __init__(self) -> None:
        self.received: Optional[signal.Signals] = None
        self._previous: dict = {}

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + int(self.received) if self.received else 0

    def _handle(self, number, frame) -> None:
        if self.received is None:
            self.received = signal.Signals(number)
            print(f"\n{self.received.name}: stopping after this step, then saving a checkpoint and the best "
                  "weights (a second signal will not interrupt the save)", file=sys.stderr, flush=True)
        else:
            print(f"{signal.Signals(number).name}: still saving; the run stops when the save is done",
                  file=sys.stderr, flush=True)

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for number in HANDLED:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
