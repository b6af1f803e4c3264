from __future__ import annotations

import asyncpg

from roulette.storage.migrations import MIGRATIONS_DIR, apply_migrations, rollback_migrations


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
