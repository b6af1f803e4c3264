from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg
from yoyo import get_backend
from yoyo import read_migrations

from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from roulette.storage.migrations import FUNCTIONS_DIR
from roulette.storage.migrations import MIGRATIONS_DIR
from roulette.storage.migrations import apply_migrations
from roulette.storage.migrations import rollback_migrations
from roulette.storage.migrations import yoyo_url


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


# What 0003 created before start_search moved to sql/functions: a function of the same name and
# arguments, defined otherwise (any earlier definition will do).
_OLD_0003 = """-- depends: 0002_flood_guard_and_purge
CREATE FUNCTION start_search(searcher BIGINT, handled_update BIGINT) RETURNS TABLE (role TEXT, id BIGINT)
LANGUAGE sql AS $$ SELECT 'me'::text, searcher $$;
"""


async def _functions(url: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT p.oid::regprocedure::text AS name, pg_get_functiondef(p.oid) AS definition"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1"
        )
    finally:
        await connection.close()
    return [(row["name"], row["definition"]) for row in rows]


async def test_a_database_that_applied_the_old_0003_ends_up_like_a_fresh_one(
    server_url: str, database_url: str, tmp_path: Path
) -> None:
    fresh = await _functions(database_url)  # the template: every migration as it stands today
    history = tmp_path / "migrations"
    history.mkdir()
    for name in ("0001_initial.sql", "0002_flood_guard_and_purge.sql"):
        shutil.copy(MIGRATIONS_DIR / name, history / name)
    (history / "0003_start_search_function.sql").write_text(_OLD_0003, encoding="utf-8")
    name = f"anochat_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_url, name)
    try:
        backend = get_backend(yoyo_url(url))
        try:
            with backend.lock():
                backend.apply_migrations(backend.to_apply(read_migrations(str(history))))
        finally:
            backend.connection.close()
        later = [p for p in MIGRATIONS_DIR.glob("*.sql") if ".rollback" not in p.name and p.name[:4] > "0003"]

        # 0003 is not applied again though its text changed: yoyo knows a migration by its id
        assert apply_migrations(url) == len(later)
        assert await _functions(url) == fresh
    finally:
        await drop_database(server_url, name)
