from __future__ import annotations

import asyncpg

from roulette.storage.migrations import FUNCTIONS_DIR
from roulette.storage.migrations import MIGRATIONS_DIR
from roulette.storage.migrations import apply_migrations
from roulette.storage.migrations import rollback_migrations


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    finally:
        await connection.close()
    return {row["table_name"] for row in rows} - {"_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"}


def test_every_migration_has_a_rollback() -> None:
    forward = {p.name.removesuffix(".sql") for p in MIGRATIONS_DIR.glob("*.sql") if ".rollback" not in p.name}
    backward = {p.name.removesuffix(".rollback.sql") for p in MIGRATIONS_DIR.glob("*.rollback.sql")}
    assert forward and forward == backward


async def test_migrations_apply_roll_back_and_apply_again(database_url: str) -> None:
    # the test database comes migrated from the template
    assert {"users", "chats", "chat_participants", "messages"} <= await _tables(database_url)
    assert apply_migrations(database_url) == 0

    rolled_back = rollback_migrations(database_url)
    assert rolled_back >= 1
    assert await _tables(database_url) == set()

    assert apply_migrations(database_url) == rolled_back
    assert {"users", "search_queue", "ratings", "reports", "blocks", "fsm_state"} <= await _tables(database_url)


async def test_the_functions_in_force_are_those_of_sql_functions_and_apply_again(database_url: str) -> None:
    source = (FUNCTIONS_DIR / "start_search.sql").read_text(encoding="utf-8")
    body = source.split("CREATE FUNCTION start_search")[1].split("$function$")[1]

    assert apply_migrations(database_url) == 0
    assert apply_migrations(database_url) == 0

    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT prosrc FROM pg_proc WHERE proname = 'start_search'") == body
        # and it works: an unknown user gets no row
        assert await connection.fetch("SELECT * FROM start_search(1, NULL)") == []
    finally:
        await connection.close()
