"""Every test gets its own database, copied from a template migrated once per run.

With TEST_DATABASE_URL (or DATABASE_URL) set, that server is used; otherwise an embedded
PostgreSQL is started in .data/test-postgres, so a machine without PostgreSQL runs the tests too.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode

from roulette.bot.app import App
from roulette.bot.app import build_app
from roulette.settings import Settings
from roulette.settings import load_settings
from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from roulette.storage.admin import with_database
from roulette.storage.embedded import start_embedded_postgres
from roulette.storage.migrations import apply_migrations
from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from tests.support.bot_process import E2E_TOKEN
from tests.support.flows import ADMIN_ID
from tests.support.telegram_double import TOKEN
from tests.support.telegram_double import FakeTelegram
from tgemulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    url = start_embedded_postgres(ROOT / ".data" / "test-postgres")
    return with_database(url, "postgres")


async def _speed_up_throwaway_server(url: str) -> None:
    """Durability is worthless for test data; skipping fsync makes CREATE DATABASE cheap."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ALTER SYSTEM SET fsync = off")
        await connection.execute("ALTER SYSTEM SET synchronous_commit = off")
        await connection.execute("ALTER SYSTEM SET full_page_writes = off")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> str:
    url = _server_url()
    if not (os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")):
        asyncio.run(_speed_up_throwaway_server(url))
    return url


@pytest.fixture(scope="session")
def template_name(server_url: str) -> Iterator[str]:
    name = f"anochat_template_{os.getpid()}"
    asyncio.run(drop_database(server_url, name))
    url = asyncio.run(create_database(server_url, name))
    apply_migrations(url)
    yield name
    asyncio.run(drop_database(server_url, name))


@pytest.fixture
async def database_url(server_url: str, template_name: str) -> AsyncIterator[str]:
    name = f"anochat_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_url, name, template=template_name)
    yield url
    await drop_database(server_url, name)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await create_pool(database_url, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
def db(pool: asyncpg.Pool[Any]) -> Database:
    return Database(pool)


@pytest.fixture
def usecases(db: Database) -> UseCases:
    return UseCases(db)


# --- the bot over a fake Telegram session ------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """The local Telegram, for the tests that drive the real bot process."""
    emulator = BotAPIEmulator(token=E2E_TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def bot_settings() -> Settings:
    return load_settings(
        bot_token=TOKEN, database_url=None, admin_ids=str(ADMIN_ID), webhook_url=None, telegram_api_url=None
    )


@pytest.fixture
async def app(pool: asyncpg.Pool[Any], telegram: FakeTelegram, bot_settings: Settings) -> AsyncIterator[App]:
    bot = Bot(TOKEN, session=telegram, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    yield build_app(bot_settings, pool, bot)
