"""What storage guarantees under every use case: exactly-once updates, the Unit of Work, constraints."""

from __future__ import annotations

import asyncpg
import pytest

from roulette.domain import Language
from roulette.storage.exactly_once import handle_once
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.members import chat_between
from tests.support.members import member


async def test_an_update_delivered_twice_takes_effect_once(usecases: UseCases) -> None:
    await member(usecases, 1)

    dropped = object()

    assert await handle_once(42, lambda: usecases.start_search(1), dropped) is SearchOutcome.WAITING
    assert await handle_once(42, lambda: usecases.cancel_search(1), dropped) is dropped

    assert await usecases.get_current_chat(1) is Unpaired.SEARCHING
    assert await handle_once(43, lambda: usecases.cancel_search(1), dropped) is True


# --- what the database itself guarantees -------------------------------------------------


async def test_the_database_refuses_a_second_active_chat_for_a_user(usecases: UseCases, db: Database) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    await chat_between(usecases, 1, 2)

    for other_side in ((1, 3), (3, 2)):
        async with db.uow() as uow:
            with pytest.raises(asyncpg.UniqueViolationError):
                await uow.chats.create(*other_side)

    with pytest.raises(asyncpg.UniqueViolationError):
        await db.pool.execute(
            "WITH chat AS (INSERT INTO chats (user_a, user_b) VALUES (1, 3) RETURNING id)"
            " INSERT INTO chat_participants (chat_id, user_id) SELECT id, 1 FROM chat"
        )
    assert (await usecases.get_stats()).active_chats == 1


async def test_the_database_refuses_a_chat_with_oneself(db: Database) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await db.pool.execute("INSERT INTO chats (user_a, user_b) VALUES (1, 1)")


async def test_a_unit_of_work_rolls_back_unless_committed(usecases: UseCases, db: Database) -> None:
    async with db.uow() as uow:
        await uow.users.register(1, Language.EN)
        assert await uow.users.get(1) is not None

    assert await usecases.get_user(1) is None


async def test_a_unit_of_work_rolls_back_when_an_error_escapes(usecases: UseCases, db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.uow() as uow:
            await uow.users.register(1, Language.EN)
            raise RuntimeError("boom")

    assert await usecases.get_user(1) is None


async def test_a_unit_of_work_keeps_what_it_committed(usecases: UseCases, db: Database) -> None:
    async with db.uow() as uow:
        await uow.users.register(1, Language.EN)
        await uow.commit()

    assert await usecases.get_user(1) is not None


async def test_a_unit_of_work_is_not_re_entrant_and_commits_only_inside(db: Database) -> None:
    uow = db.uow()
    with pytest.raises(RuntimeError):
        await uow.commit()
    async with uow:
        with pytest.raises(RuntimeError):
            await uow.__aenter__()
