"""What time it is, asked of one object each service carries (``state.clock``), so that a
test moves time forward instead of sleeping or writing earlier times into the database.

The clock is the system's, plus an offset that only a test changes (``move``): it keeps
running, so what waits for real time (a database, a server) still sees time pass. The
kernel's own bookkeeping (the outbox sweep, handled-event marks, claims of revisions) reads
the system's time: it is about how long processes really took, not about the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class Clock:
    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move(self, by: timedelta) -> None:
        """For tests: the time ``by`` later from now on."""
        self.offset += by
