"""What the queue tells the users waiting in it: how many search with them, and hints claimed once."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import Language
from roulette.domain import Profile
from roulette.domain import User
from roulette.storage.queries import sql
from roulette.storage.repositories import preferences_from_record
from roulette.wishes import ProfileKey
from roulette.wishes import WaitingFigures

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_COUNT_SEARCHING_IN_POOL = sql("count_searching_in_pool")
_CLAIM_WAIT_HINTS = sql("claim_wait_hints")
_WAITING_FIGURES = sql("waiting_figures")


def _waiting_user(record: asyncpg.Record) -> User:
    """A waiting user as their queue row carries them: profile, language and wishes."""
    return User(
        id=record["user_id"],
        language=Language(record["language"]),
        profile=Profile(Gender(record["gender"]), record["age"], Interests.of(record["interests"])),
        preferences=preferences_from_record(record),
    )


class WaitingRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def count_searching_in_pool(self, user_id: int, up_to: int) -> int | None:
        """How many search in the user's class and language (them included), counted up to
        `up_to`; None when the user is not waiting."""
        record = await self._connection.fetchrow(_COUNT_SEARCHING_IN_POOL, user_id, up_to)
        return None if record is None else int(record["searching"])

    async def claim_wait_hints(self, waited_seconds: float, limit: int) -> list[User]:
        """Up to `limit` users who have waited that long and were not hinted during this search,
        marked as hinted (the claim) and returned with their wishes."""
        records = await self._connection.fetch(_CLAIM_WAIT_HINTS, waited_seconds, limit)
        return [_waiting_user(record) for record in records]

    async def figures(self) -> WaitingFigures:
        """Aggregate counts of the queue (see sql/waiting_figures.sql)."""
        by_profile: dict[ProfileKey, int] = {}
        by_interest: dict[tuple[bool, str], int] = {}
        for record in await self._connection.fetch(_WAITING_FIGURES):
            if record["figure"] == "interest":
                by_interest[(record["adult"], record["interest"])] = record["waiting"]
            else:
                key = (record["adult"], record["gender"], record["age"], record["language"])
                by_profile[key] = record["waiting"]
        return WaitingFigures(by_profile, by_interest)
