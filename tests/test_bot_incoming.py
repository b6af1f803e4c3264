"""Updates that aiogram cannot parse: skipped one by one, never the batch, never the bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from typing import cast

import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from roulette.bot.app import App
from roulette.bot.incoming import GetRawUpdates
from roulette.bot.polling import Poller
from tests.support.bot_process import running_bot
from tests.support.bot_process import running_webhook_bot
from tests.support.live import WAIT
from tests.support.live import eventually
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user
from tgemulator import BotAPIEmulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_SECRET = "poison-webhook-secret"

# A message without its chat's id: what a malformed update, or a kind of update newer than the
# aiogram in use, looks like to the parser.
POISON: dict[str, Any] = {"message": {"message_id": 1, "date": 0, "chat": {"type": "private"}, "text": "secret"}}


class BatchesOfUpdates(FakeTelegram):
    """Answers getUpdates with the given batches (as JSON), then with nothing until `stop`."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[dict[str, Any]]] = []
        self.stop = asyncio.Event()
        self.offsets: list[int | None] = []

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if not isinstance(method, GetRawUpdates):
            return await super().make_request(bot, method, timeout)
        self.offsets.append(method.offset)
        if self.batches:
            return cast(TelegramType, self.batches.pop(0))
        self.stop.set()
        return cast(TelegramType, [])


@pytest.fixture
def telegram() -> BatchesOfUpdates:
    return BatchesOfUpdates()


async def test_an_unparseable_update_in_a_batch_is_logged_confirmed_and_the_rest_are_handled(
    app: App, telegram: BatchesOfUpdates, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = tg_user(7101, "en", "Alice"), tg_user(7102, "en", "Bob")
    before = message_update(alice, "/help").model_dump(mode="json", exclude_none=True)
    after = message_update(bob, "/help").model_dump(mode="json", exclude_none=True)
    poison_id = before["update_id"] + 1
    after["update_id"] = poison_id + 1
    telegram.batches = [[before, {"update_id": poison_id, **POISON}, after]]
    poller = Poller(app.bot, app.dispatcher, allowed_updates=["message"], long_poll_seconds=0)

    with caplog.at_level(logging.WARNING, logger="roulette.bot.incoming"):
        await asyncio.wait_for(poller.run(telegram.stop), timeout=10)

    assert telegram.texts_to(alice.id) and telegram.texts_to(bob.id)  # both /help answered
    assert poller.handled == 2
    assert telegram.offsets[-1] == poison_id + 2  # the whole batch, poison included, confirmed
    [line] = [record.getMessage() for record in caplog.records if "cannot be parsed" in record.getMessage()]
    assert f"update {poison_id} " in line and "message.chat.id" in line
    assert "secret" not in line  # what the user wrote never reaches the logs


async def test_a_batch_of_nothing_but_unparseable_updates_is_confirmed(app: App, telegram: BatchesOfUpdates) -> None:
    telegram.batches = [[{"update_id": 501, **POISON}, {"update_id": 502, "message": "not an object"}]]
    poller = Poller(app.bot, app.dispatcher, allowed_updates=["message"], long_poll_seconds=0)

    await asyncio.wait_for(poller.run(telegram.stop), timeout=10)

    assert poller.handled == 0
    assert telegram.offsets[-1] == 503


# --- through the real process --------------------------------------------------------------------


@pytest.mark.e2e
async def test_the_bot_process_skips_an_unparseable_update_and_keeps_polling(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    async with running_bot(emulator, database_url, tmp_path) as bot:
        user = emulator.user("Poisoned")
        poison_id = emulator.emit("message", user.id, POISON["message"])
        await user.send_command("/start")
        await user.wait_for_text("gender", WAIT)
        await eventually(lambda: emulator.pending_updates == 0, "the batch confirmed")
        [line] = [line for line in bot.log().splitlines() if "cannot be parsed" in line]
        assert f"update {poison_id} " in line and "message.chat.id" in line


@pytest.mark.e2e
async def test_in_webhook_mode_an_unparseable_update_gets_200_and_a_non_ascii_secret_gets_401(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    async with running_webhook_bot(emulator, database_url, tmp_path, WEBHOOK_SECRET) as (bot, base):
        async with aiohttp.ClientSession() as http:
            right = {SECRET_HEADER: WEBHOOK_SECRET}
            async with http.post(f"{base}/webhook", json={"update_id": 4242, **POISON}, headers=right) as poison:
                assert poison.status == 200
            for secret in ("sécret", WEBHOOK_SECRET + "é", "ключ"):
                wrong = {SECRET_HEADER: secret}
                async with http.post(f"{base}/webhook", json={"update_id": 4243, **POISON}, headers=wrong) as refused:
                    assert refused.status == 401

        user = emulator.user("Poisoned")
        await user.send_command("/start")
        await user.wait_for_text("gender", WAIT)
        [line] = [line for line in bot.log().splitlines() if "cannot be parsed" in line]
        assert "update 4242 " in line
    # running_bot checked that no traceback reached the log
