"""Prometheus metrics: what operators watch (docs/operations.md lists them, and alerts on them).

The hot path only counts and observes in memory. What the database already knows (people
searching, active chats) is read by one cheap query when /metrics is scraped, never per message.
Each process exposes its own counters; the database figures are the same on every process.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.bases import NextMiddlewareType
from aiogram.exceptions import TelegramAPIError
from aiogram.exceptions import TelegramBadRequest
from aiogram.exceptions import TelegramConflictError
from aiogram.exceptions import TelegramEntityTooLarge
from aiogram.exceptions import TelegramForbiddenError
from aiogram.exceptions import TelegramNetworkError
from aiogram.exceptions import TelegramNotFound
from aiogram.exceptions import TelegramRetryAfter
from aiogram.exceptions import TelegramServerError
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import Response
from aiogram.methods import SendMediaGroup
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client import Histogram

from roulette.storage.exactly_once import DuplicateUpdate

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "anochat_updates",
    "Updates taken from Telegram, by kind (message, callback_query, ...) and outcome",
    ["kind", "outcome"],
    registry=REGISTRY,
)
RELAY_SECONDS = Histogram(
    "anochat_relay_seconds",
    "From an update taken to the partner's copy sent (copyMessage / copyMessages accepted by Telegram)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SEARCH_SECONDS = Histogram(
    "anochat_search_seconds",
    "Time of one search (the pairing transaction), paired or queued",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
    registry=REGISTRY,
)
BOT_API_ERRORS = Counter(
    "anochat_bot_api_errors",
    "Bot API calls that failed, by method and code (HTTP status, or 'network')",
    ["method", "code"],
    registry=REGISTRY,
)
FLOOD_HOLDS = Counter("anochat_flood_holds", "Messages held back by the flood guard (not relayed)", registry=REGISTRY)
REPORTS = Counter("anochat_reports", "Reports filed by users, by reason", ["reason"], registry=REGISTRY)
BANS = Counter(
    "anochat_bans", "Bans, by who imposed them ('reports' threshold or an 'admin')", ["by"], registry=REGISTRY
)
SEARCHING = Gauge(
    "anochat_searching_users", "Users waiting in the search queue, by pool (read at scrape)", ["pool"],
    registry=REGISTRY,
)  # fmt: skip
ACTIVE_CHATS = Gauge("anochat_active_chats", "Chats in progress (read at scrape)", registry=REGISTRY)

#: When the update being handled was taken; the relay latency is measured from here.
update_taken_at: ContextVar[float | None] = ContextVar("update_taken_at", default=None)

COPY_METHODS = (CopyMessage, CopyMessages, SendMediaGroup)


class UpdateMetrics(BaseMiddleware):
    """Counts each update by kind and outcome, and starts its relay clock.

    Register it as an update outer middleware after ExactlyOnce, so that a duplicate delivery
    is seen as one (DuplicateUpdate passes through here) rather than as an unhandled update.
    """

    async def __call__(
        self, handler: NextMiddlewareType[TelegramObject], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        try:
            kind = event.event_type
        except UpdateTypeLookupError:  # a kind newer than this aiogram: aiogram leaves it unhandled
            kind = "unknown"
        token = update_taken_at.set(time.perf_counter())
        try:
            result = await handler(event, data)
        except DuplicateUpdate:
            UPDATES.labels(kind, "duplicate").inc()
            raise
        except Exception:
            UPDATES.labels(kind, "failed").inc()
            raise
        finally:
            update_taken_at.reset(token)
        UPDATES.labels(kind, "unhandled" if result is UNHANDLED else "handled").inc()
        return result


def count_unparseable_update() -> None:
    UPDATES.labels("unknown", "unparseable").inc()


class BotApiMetrics(BaseRequestMiddleware):
    """On bot.session: counts every failed Bot API call by its code, and times relayed copies.

    Kept apart from the retrying middleware (roulette.bot.retries) and registered after it, so
    that it sits closer to the network and counts each failed attempt, retried or not.
    """

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        try:
            response = await make_request(bot, method)
        except TelegramAPIError as error:
            BOT_API_ERRORS.labels(method.__api_method__, error_code(error)).inc()
            raise
        taken_at = update_taken_at.get()
        if taken_at is not None and isinstance(method, COPY_METHODS):
            RELAY_SECONDS.observe(time.perf_counter() - taken_at)
        return response


def error_code(error: TelegramAPIError) -> str:
    if isinstance(error, TelegramNetworkError):
        return "network"
    if isinstance(error, TelegramServerError):
        return "5xx"
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return "other"


_CODES: tuple[tuple[type[TelegramAPIError], str], ...] = (
    (TelegramBadRequest, "400"),
    (TelegramUnauthorizedError, "401"),
    (TelegramForbiddenError, "403"),
    (TelegramNotFound, "404"),
    (TelegramConflictError, "409"),
    (TelegramEntityTooLarge, "413"),
    (TelegramRetryAfter, "429"),
)


def measure_bot_api(bot: Bot) -> None:
    """Give the bot's session the metrics middleware (once, however often an app is built on it)."""
    if not any(isinstance(middleware, BotApiMetrics) for middleware in bot.session.middleware):
        bot.session.middleware(BotApiMetrics())
