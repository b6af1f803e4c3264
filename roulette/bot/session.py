"""The bot's HTTP session: Bot API calls go out as JSON bodies when they carry no file.

aiogram's session sends every call as a form: a MultipartWriter (with a fresh uuid4 boundary) is
built for each one, every parameter becomes a field of its own and nested objects are
JSON-encoded one by one. The Bot API takes a JSON body as well (`application/json`), which is
one `json.dumps` of the prepared parameters: ~14 µs less per copy on the relay path, on both
sides of the connection (docs/performance.md). A call that uploads a file still goes as
multipart. Only the body changes: sending, timeouts and errors stay aiogram's own.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.types import InputFile
from aiohttp import FormData
from aiohttp import JsonPayload


class JsonSession(AiohttpSession):
    # aiogram hands what this returns to aiohttp as the request's `data`, which takes a payload
    # as readily as a form.
    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData | JsonPayload:  # type: ignore[override]
        """The call's parameters as one JSON object; aiogram's form when it uploads a file.

        Parameters are prepared as aiogram prepares form fields (bot defaults filled in, enums
        and dates turned into what Telegram expects); those a form would leave out (unset or
        empty text) are left out here too.
        """
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                body[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)
