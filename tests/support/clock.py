"""A clock that tests move by hand, for code that takes a `now` callable: times come out
exact, whatever the speed of the machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Whole milliseconds (all the stores keep), timezone-aware UTC like the real clock.
START = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)


class ManualClock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds; returns the new time."""
        self.now += by if isinstance(by, timedelta) else timedelta(seconds=by)
        return self.now
