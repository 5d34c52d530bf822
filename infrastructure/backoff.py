"""Back-off for the long-running loops (Kafka consumers, the relay listener) while a service is away.

    backoff = Backoff()
    while not stop.is_set():
        try:
            work()
            backoff.reset()
        except ServiceTrouble as exc:
            delay = backoff.next_delay()
            logger.warning("lost the service (%s); retrying in %.0fs", exc, delay)
            stop.wait(delay)

Delays double from `first` up to `ceiling` while failures follow each other and start again from
`first` once something worked: a loop logs one line per step and never spins, however long the
outage lasts.
"""

from __future__ import annotations


class Backoff:
    def __init__(self, first: float = 1.0, ceiling: float = 30.0):
        self.first, self.ceiling, self._next = first, ceiling, first

    def next_delay(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self._next = self.first
