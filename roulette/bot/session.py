"""The bot's HTTP session: Bot API calls go out as JSON bodies when they carry no file.

aiogram's session sends every call as a form: a MultipartWriter (with a fresh uuid4 boundary) is
built for each one, every parameter becomes a field of its own and nested objects are
JSON-encoded one by one. The Bot API takes a JSON body as well (`application/json`), which is
one `json.dumps` of the prepared parameters: ~14 µs less per copy on the relay path, on both
sides of the connection (docs/performance.md). A call that uploads a file still goes as
multipart, through aiogram's own code.
"""

from __future__ import annotations

from typing import Any
from typing import cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError
from aiohttp import ClientTimeout

JSON_HEADERS = {"Content-Type": "application/json"}


class JsonSession(AiohttpSession):
    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> str | None:
        """The call's parameters as one JSON object; None when it uploads a file.

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
        return None if files else self.json_dumps(body)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as response:
                raw_result = await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            raise TelegramNetworkError(method=method, message=f"{type(error).__name__}: {error}") from error
        checked = self.check_response(bot=bot, method=method, status_code=response.status, content=raw_result)
        return cast(TelegramType, checked.result)
