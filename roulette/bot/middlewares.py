"""Update-level plumbing: per-user ordering and the user's language."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram import Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.bases import NextMiddlewareType
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import TelegramObject
from aiogram.types import Update
from aiogram.types import User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import I18nMiddleware

from roulette.bot.languages import Languages
from roulette.domain import Language
from roulette.storage import exactly_once

log = logging.getLogger(__name__)


def update_user(update: Update) -> User | None:
    """The Telegram user an update comes from, if any."""
    event = (
        update.message or update.edited_message or update.callback_query or update.my_chat_member or update.inline_query
    )
    return getattr(event, "from_user", None) if event is not None else None


class PerUserOrder(BaseEventIsolation):
    """Handle one user's updates one at a time, in arrival order.

    aiogram handles updates concurrently; without this, two messages a user sent in a row
    could reach the partner swapped. Different users still run in parallel. The lock table
    only holds users with an update in flight, so it cannot grow without bound.

    It is the dispatcher's event isolation rather than a middleware: aiogram's FSM middleware
    takes this lock before it reads the state from the database, while a middleware of ours
    would only run after that read, when concurrent updates may already have swapped places.
    """

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @property
    def in_flight(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock, waiting = self._locks.get(key.user_id) or (asyncio.Lock(), 0)
        self._locks[key.user_id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[key.user_id]
            if waiting <= 1:
                del self._locks[key.user_id]
            else:
                self._locks[key.user_id] = (lock, waiting - 1)

    async def close(self) -> None:
        self._locks.clear()


class UserLanguage(I18nMiddleware):
    def __init__(self, i18n: I18n, languages: Languages) -> None:
        super().__init__(i18n)
        self._languages = languages

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None:
            return self.i18n.default_locale
        try:
            language = await self._languages.of(user.id, user.language_code)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # The database is unreachable: still answer, in the language Telegram reports.
            log.warning("language lookup failed (%s); using the Telegram language", type(error).__name__)
            return Language.from_code(user.language_code, Language(self.i18n.default_locale)).value
        return language.value


class ExactlyOnce(BaseMiddleware):
    """Each update's effects happen once; a repeated delivery is dropped quietly (see exactly_once)."""

    async def __call__(
        self, handler: NextMiddlewareType[TelegramObject], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        return await exactly_once.handle_once(event.update_id, lambda: handler(event, data), UNHANDLED)


class StateOnDemand(FSMContextMiddleware):
    """aiogram's FSM middleware, minus the state read before every chat message.

    aiogram loads the FSM state for every update, which on the relay path would be a database
    round trip per message for a state that is nearly always empty. For messages the relay's
    own query reads it instead (sql/store_messages.sql), and the few states that expect typed
    input are answered from there (roulette/bot/typed_answers.py). So: message handlers must not
    use StateFilter (tests/test_bot_routers.py enforces it); callback handlers may, their state
    is still loaded. Everything else is as in
    aiogram: the per-user lock is taken first, and `state` (the FSMContext) is always there.
    """

    async def __call__(
        self, handler: NextMiddlewareType[TelegramObject], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        context = self.resolve_event_context(data["bot"], data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        async with self.events_isolation.lock(key=context.key):
            data["state"] = context
            # messages read it in the relay's own query; a reaction's handler needs none
            if not (isinstance(event, Update) and (event.message or event.edited_message or event.message_reaction)):
                data["raw_state"] = await context.get_state()
            return await handler(event, data)


def use_state_on_demand(dispatcher: Dispatcher) -> None:
    """Put StateOnDemand where aiogram's Dispatcher registered its FSM middleware."""
    original = dispatcher.fsm
    replacement = StateOnDemand(original.storage, original.events_isolation, original.strategy)
    dispatcher.update.outer_middleware.unregister(original)
    dispatcher.update.outer_middleware.register(replacement)
    dispatcher.fsm = replacement
