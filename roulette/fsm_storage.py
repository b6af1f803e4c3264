"""aiogram FSM storage in PostgreSQL: onboarding survives restarts and works across processes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.base import StateType
from aiogram.fsm.storage.base import StorageKey

from roulette.storage.queries import sql

_GET = sql("fsm_get")
_SET_STATE = sql("fsm_set_state")
_SET_DATA = sql("fsm_set_data")
_UPDATE_DATA = sql("fsm_update_data")


def _key(key: StorageKey) -> tuple[int, int, int, int, str, str]:
    return (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id or 0,
        key.business_connection_id or "",
        key.destiny,
    )


class PostgresStorage(BaseStorage):
    """Each call is one autocommitted statement; `update_data` merges atomically in SQL."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._pool.execute(_SET_STATE, *_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._pool.fetchrow(_GET, *_key(key))
        return record["state"] if record is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._pool.execute(_SET_DATA, *_key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._pool.fetchrow(_GET, *_key(key))
        return dict(record["data"]) if record is not None else {}

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        merged = await self._pool.fetchval(_UPDATE_DATA, *_key(key), dict(data))
        return dict(merged)

    async def close(self) -> None:
        """The pool belongs to the application, which closes it."""
