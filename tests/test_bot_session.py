"""The bot's session sends Bot API calls as JSON bodies, and files as multipart, to a real HTTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import CopyMessage
from aiogram.methods import SendDocument
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile
from aiogram.types import InlineKeyboardButton
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import ReplyParameters
from aiohttp import FormData
from aiohttp import JsonPayload
from aiohttp import web
from aiohttp.test_utils import TestServer

from roulette.bot.session import JsonSession
from tgemulator import BotAPIEmulator
from tgemulator import EmulatorConfig

TOKEN = "123456:TEST-TOKEN"


def _bot(base_url: str) -> Bot:
    session = JsonSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def _close(bot: Bot) -> None:
    assert isinstance(bot.session, JsonSession)
    if bot.session._session is not None:  # close() would wait 250 ms for TLS, which plain HTTP has not
        await bot.session._session.close()


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, config=EmulatorConfig(seed=3))
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = _bot(emu.base_url)
    yield client
    await _close(client)


async def test_a_call_goes_as_one_json_object_with_the_bots_defaults_and_nested_objects() -> None:
    seen: list[tuple[str, str, bytes]] = []

    async def api(request: web.Request) -> web.Response:
        seen.append((request.match_info["method"], request.content_type, await request.read()))
        return web.json_response({"ok": True, "result": {"message_id": 77}})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api)
    async with TestServer(app) as server:
        bot = _bot(str(server.make_url("")).rstrip("/"))
        try:
            copied = await bot(
                CopyMessage(
                    chat_id=5,
                    from_chat_id=6,
                    message_id=7,
                    protect_content=False,
                    reply_parameters=ReplyParameters(message_id=3, allow_sending_without_reply=True),
                )
            )
        finally:
            await _close(bot)
    assert copied.message_id == 77
    [(method, content_type, body)] = seen
    assert (method, content_type) == ("copyMessage", "application/json")
    sent: dict[str, Any] = json.loads(body)
    assert sent["chat_id"] == 5 and sent["from_chat_id"] == 6 and sent["message_id"] == 7
    assert sent["protect_content"] is False  # a False is said, not left out
    assert sent["reply_parameters"]["message_id"] == 3  # an object, not a JSON string inside one
    assert sent["reply_parameters"]["allow_sending_without_reply"] is True
    assert sent["parse_mode"] == "HTML"  # the bot's default, filled in
    assert None not in sent.values()


async def test_json_calls_reach_telegram_whole(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    await alice.send_command("/start")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Next", callback_data="next")]])
    assert isinstance(bot.session, JsonSession)
    assert isinstance(bot.session.build_form_data(bot, SendMessage(chat_id=alice.id, text="x")), JsonPayload)
    sent = await bot.send_message(alice.id, "<b>Pick</b> one", reply_markup=markup)
    stored = alice.inbox[-1]
    assert stored.message_id == sent.message_id
    assert stored.text == "Pick one"
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 4}]  # the default parse mode applied
    assert stored.callback_data("Next") == "next"
    with pytest.raises(TelegramBadRequest):  # Telegram's refusals come back as aiogram's errors
        await bot.send_message(alice.id, "")


async def test_a_call_with_a_file_still_goes_as_multipart(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    await alice.send_command("/start")
    upload = SendDocument(chat_id=alice.id, document=BufferedInputFile(b"abc", filename="notes.txt"), caption="doc")
    assert isinstance(bot.session, JsonSession)
    assert isinstance(bot.session.build_form_data(bot, upload), FormData)
    document = await bot(upload)
    assert document.document is not None and document.document.file_name == "notes.txt"
    assert alice.inbox[-1].kind == "document"
    assert alice.inbox[-1].content["caption"] == "doc"
