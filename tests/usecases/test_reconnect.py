"""Invitations to talk again are kept no longer than they can be used."""

from __future__ import annotations

from typing import Any

import asyncpg

from roulette.usecases import UseCases
from roulette.usecases.reconnect import Invited
from tests.support.members import ended_chat_between
from tests.support.members import member


async def test_the_retention_purge_deletes_expired_invitations_only(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    expired = await ended_chat_between(usecases, 1, 2)
    current = await ended_chat_between(usecases, 3, 4)
    assert await usecases.ask_to_reconnect(1, expired) == Invited(2)
    assert await usecases.ask_to_reconnect(3, current) == Invited(4)
    await pool.execute(
        "UPDATE reconnect_invitations SET expires_at = now() - interval '1 minute' WHERE chat_id = $1", expired
    )

    purged = await usecases.purge_expired()

    assert purged.invitations == 1
    assert await pool.fetch("SELECT chat_id FROM reconnect_invitations") == [(current,)]
    assert (await usecases.purge_expired()).invitations == 0
