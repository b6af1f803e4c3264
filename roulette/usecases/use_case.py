"""What every use case shares: the database it opens its Unit of Work (or single statement) on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from roulette.storage.uow import Database


@dataclass(frozen=True, slots=True)
class UseCase:
    """A use case is called with plain values, runs one transaction (or one statement) on `db`,
    commits, and returns a plain result. Callers talk to Telegram only after it returned, so a
    slow Bot API call never holds a database lock."""

    db: Database


def now() -> datetime:
    return datetime.now(UTC)
