"""Waiting for a condition without guessing a sleep: poll it, and fail loudly on timeout."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not become true in time (an AssertionError, so pytest reports it as a failure)."""


def wait_until(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.1, *,
               message: str | None = None, ignore: tuple[type[BaseException], ...] = ()) -> T:
    """Call `condition()` until it returns something truthy, and return that value.

    Fails with `WaitTimeout` after `timeout` seconds, naming `message` (or the condition) and the
    last value or ignored exception seen. Exceptions listed in `ignore` count as "not yet" (e.g. a
    connection refused while a server starts); any other exception propagates at once.
    """
    if timeout <= 0 or interval <= 0:
        raise ValueError("timeout and interval must be positive")
    deadline = time.monotonic() + timeout
    last_value: object = None
    last_error: BaseException | None = None
    attempts = 0
    while True:
        attempts += 1
        try:
            value = condition()
        except ignore as exc:
            last_error, value = exc, None
        else:
            last_error = None
            if value:
                return value
            last_value = value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            what = message or getattr(condition, "__name__", repr(condition))
            seen = (f"last error: {type(last_error).__name__}: {last_error}" if last_error is not None
                    else f"last value: {last_value!r}")
            raise WaitTimeout(f"timed out after {timeout:.1f}s ({attempts} attempts) waiting for {what}; {seen}")
        time.sleep(min(interval, remaining))
