"""Input that cannot be stored is refused at the door, with a clear word to the sender."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from roulette.bot.app import App
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import tg_user

NUL_REFUSED = "This message contains a NUL character (U+0000)"
APOLOGY = "Sorry, something went wrong"
NUL_REFUSED_RU = "В сообщении есть символ NUL (U+0000), а такое сообщение нельзя отправить. Убери его и отправь снова."


async def stored_texts(pool: asyncpg.Pool[asyncpg.Record]) -> list[tuple[str | None, str | None]]:
    return [(row["text"], row["caption"]) for row in await pool.fetch("SELECT text, caption FROM messages ORDER BY id")]


async def test_a_text_caption_or_edit_with_a_nul_character_is_refused_clearly_and_nothing_is_stored(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[asyncpg.Record], caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = tg_user(8101, "en", "Alice"), tg_user(8102, "ru", "Bob")
    for user in (alice, bob):  # of different languages, so both accept any
        await onboard(app, user)
        await app.dispatcher.feed_update(app.bot, callback_update(user, "pf:language:any"))
    await start_chat(app, alice, bob)
    feed = app.dispatcher.feed_update
    await feed(app.bot, message_update(alice, "fine", message_id=1))
    telegram.clear()

    with caplog.at_level(logging.INFO):
        await feed(app.bot, message_update(alice, "bad\x00text", message_id=2))
        await feed(app.bot, message_update(alice, caption="bad\x00caption", photo=photo(), message_id=3))
        await feed(app.bot, edited_update(alice, 1, "edited\x00badly"))
        await feed(app.bot, message_update(bob, "плохо\x00", message_id=4))

    assert telegram.texts_to(alice.id) == [telegram.texts_to(alice.id)[0]] * 3
    assert telegram.texts_to(alice.id)[0].startswith(NUL_REFUSED)
    assert telegram.texts_to(bob.id) == [NUL_REFUSED_RU]
    assert telegram.copies_to(bob.id) == [] and telegram.copies_to(alice.id) == []
    assert not any(APOLOGY in text for chat in (alice.id, bob.id) for text in telegram.texts_to(chat))
    assert await stored_texts(pool) == [("fine", None)]  # nothing new, and the edit changed nothing
    refusals = [record for record in caplog.records if "NUL" in record.getMessage()]
    assert len(refusals) == 4 and not any(record.exc_info for record in caplog.records)
