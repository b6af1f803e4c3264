"""Every Bot API call waits out flood limits and retries what is safe to retry.

A request middleware on the bot's session (aiogram's `BaseRequestMiddleware`), so it covers each
call the bot makes — relayed copies, `message.answer`, callback answers — in one place. The
caller waits meanwhile, so one user's messages keep their order.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError
from aiogram.exceptions import TelegramRetryAfter
from aiogram.exceptions import TelegramServerError
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import DeleteMessage
from aiogram.methods import EditMessageCaption
from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import EditMessageText
from aiogram.methods import GetUpdates
from aiogram.methods import SetMyCommands
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_ATTEMPTS = 5
MAX_TRANSIENT_ATTEMPTS = 3
# After a 5xx or a network error Telegram may have done it already: repeat only what cannot make
# a user see something twice.
IDEMPOTENT_METHODS = (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SetMyCommands,
)


class RetryRequests(BaseRequestMiddleware):
    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):  # the poller has its own back-off, and stops mid-wait
            return await make_request(bot, method)  # type: ignore[arg-type]
        retry_after_attempts = transient_attempts = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:  # refused, not done: always safe to repeat
                retry_after_attempts += 1
                if retry_after_attempts > MAX_RETRY_AFTER_ATTEMPTS:
                    raise
                log.warning("flood limit on %s, waiting %ss", method.__api_method__, error.retry_after)
                await asyncio.sleep(error.retry_after)
            except (TelegramServerError, TelegramNetworkError):
                transient_attempts += 1
                if not isinstance(method, IDEMPOTENT_METHODS) or transient_attempts >= MAX_TRANSIENT_ATTEMPTS:
                    raise
                await asyncio.sleep(0.5 * transient_attempts)


def retry_requests(bot: Bot) -> None:
    """Give the bot's session the retries (once, however often an app is built on it)."""
    if not any(isinstance(middleware, RetryRequests) for middleware in bot.session.middleware):
        bot.session.middleware(RetryRequests())
