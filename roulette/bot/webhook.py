"""The door of webhook mode: aiogram's request handler, refusing what it should refuse quietly."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from roulette.bot.incoming import parse_update

log = logging.getLogger(__name__)


class UpdateRequestHandler(SimpleRequestHandler):
    """Answers Telegram only after the update was handled (see docs/reliability.md), and:

    - a secret header with non-ASCII bytes is a wrong secret (401), not a crash: anyone can send
      one, and each would leave a traceback in the logs;
    - an update that cannot be parsed is logged and answered 200, since Telegram would only
      deliver it again, and again (roulette.bot.incoming).
    """

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if not self.secret_token:
            return True
        # compare_digest refuses str with non-ASCII characters; bytes compare whatever was sent
        sent = telegram_secret_token.encode("utf-8", "surrogateescape")
        return secrets.compare_digest(sent, self.secret_token.encode())

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
        except ValueError:
            log.warning("a webhook request with the right secret but no JSON body was refused")
            return web.Response(status=400, text="Bad Request")
        update = parse_update(raw, bot)
        if update is None:
            return web.json_response({})
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))
