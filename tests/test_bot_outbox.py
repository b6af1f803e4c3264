"""Notices, albums and edits through the real Dispatcher: nothing lost, nothing in the wrong chat, no flood."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiogram.exceptions import TelegramServerError
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import EditMessageText
from aiogram.methods import SendMessage

from roulette.bot.albums import ALBUM_SETTLE_SECONDS
from roulette.bot.app import App
from roulette.bot.app import deliver_overdue
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import album_updates
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

ALICE, BOB, CAROL = tg_user(4101, first_name="Alice"), tg_user(4102, first_name="Bobby"), tg_user(4103)
FLOOD_NOTICE = "You are sending messages too fast"


async def outbox_rows(pool: asyncpg.Pool[Any]) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM outbox")
    return count


async def test_notices_are_sent_after_the_change_and_then_forgotten(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    await start_chat(app, ALICE, BOB)
    assert "Partner found" in telegram.texts_to(ALICE.id)[-1] and "Partner found" in telegram.texts_to(BOB.id)[-1]

    await app.dispatcher.feed_update(app.bot, message_update(BOB, "/stop"))

    assert telegram.texts_to(ALICE.id)[-2:] == PARTNER_LEFT
    assert telegram.texts_to(BOB.id)[-2:] == ["The chat is over.", "How was your partner?"]
    assert await outbox_rows(pool) == 0


async def test_a_notice_that_meets_a_telegram_error_is_sent_again_later(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    await start_chat(app, ALICE, BOB)
    telegram.fail_next(SendMessage, lambda method: TelegramServerError(method, "Bad Gateway"), chat_id=ALICE.id)

    await app.dispatcher.feed_update(app.bot, message_update(BOB, "/stop"))
    left, rate = PARTNER_LEFT
    assert telegram.texts_to(ALICE.id).count(left) == 1  # the attempt that failed
    assert rate not in telegram.texts_to(ALICE.id)
    assert telegram.texts_to(BOB.id)[-2:] == ["The chat is over.", "How was your partner?"]  # not held up
    assert await outbox_rows(pool) == 1
    await deliver_overdue(app)
    assert await outbox_rows(pool) == 1  # still within its lease: nobody sends it twice
    await pool.execute("UPDATE outbox SET claimed_until = now() - interval '1 second'")  # the lease passes

    await deliver_overdue(app)

    assert telegram.texts_to(ALICE.id).count(left) == 2
    assert telegram.texts_to(ALICE.id)[-2:] == PARTNER_LEFT
    assert await outbox_rows(pool) == 0


async def test_an_album_whose_chat_ends_inside_its_quiet_period_never_reaches_the_next_chat(
    app: App, telegram: FakeTelegram
) -> None:
    await start_chat(app, ALICE, BOB)
    await onboard(app, CAROL)
    await app.dispatcher.feed_update(app.bot, message_update(CAROL, "/search"))
    for update in album_updates(ALICE, 3, "before-the-end"):
        await app.dispatcher.feed_update(app.bot, update)
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, message_update(BOB, "/next"))  # and meets Carol at once
    assert "Partner found" in telegram.last_text_to(BOB.id)
    await asyncio.sleep(ALBUM_SETTLE_SECONDS)
    await app.albums.settle_all(app.courier, app.usecases, app.settings)

    assert not [r for r in telegram.sent_to(BOB.id) if isinstance(r, CopyMessage | CopyMessages)]


async def test_an_album_is_still_copied_into_its_own_chat(app: App, telegram: FakeTelegram) -> None:
    await start_chat(app, ALICE, BOB)
    album = album_updates(ALICE, 2, "holiday")
    for update in album:
        await app.dispatcher.feed_update(app.bot, update)

    await app.albums.settle_all(app.courier, app.usecases, app.settings)

    [copy] = [r for r in telegram.sent_to(BOB.id) if isinstance(r, CopyMessages)]
    assert copy.message_ids == [update.message.message_id for update in album if update.message is not None]


async def test_edits_count_against_the_flood_guard(app: App, telegram: FakeTelegram) -> None:
    await start_chat(app, ALICE, BOB)
    telegram.clear()
    original = message_update(ALICE, "edit me")
    await app.dispatcher.feed_update(app.bot, original)
    assert original.message is not None
    limit = app.settings.flood_max_messages

    for n in range(300):
        await app.dispatcher.feed_update(app.bot, edited_update(ALICE, original.message.message_id, f"edit #{n}"))

    edits = [r for r in telegram.sent_to(BOB.id) if isinstance(r, EditMessageText)]
    assert len(edits) == limit - 1  # the message itself counts too
    assert len([text for text in telegram.texts_to(ALICE.id) if FLOOD_NOTICE in text]) == 1
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "and a message"))
    assert not [
        r
        for r in telegram.sent_to(BOB.id)
        if isinstance(r, CopyMessage) and r.message_id != original.message.message_id
    ]
