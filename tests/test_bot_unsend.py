"""/unsend: a user takes back a message; the partner's copy is deleted, the evidence stays."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import DeleteMessage
from aiogram.methods import EditMessageText
from aiogram.methods import SendMessage
from aiogram.types import Update
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.callbacks import Report
from roulette.domain import ReportReason
from roulette.usecases.search import InChat
from tests.support.flows import ADMIN_ID
from tests.support.flows import feed
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import replied
from tests.support.telegram_double import tg_user

ALICE, BOB, CAROL = tg_user(4201, first_name="Alice"), tg_user(4202, first_name="Bobby"), tg_user(4203)
ADMIN = tg_user(ADMIN_ID, first_name="Admin")
UNSENT = "Unsent: your partner no longer sees this message."


async def say(app: App, user: User, text: str) -> tuple[int, int]:
    """`user` sends `text` in their chat: (its id in their chat, the id of the partner's copy)."""
    update = message_update(user, text)
    await feed(app, update)
    assert update.message is not None
    chat = await app.usecases.get_current_chat(user.id)
    assert isinstance(chat, InChat)
    [stored] = [m for m in await app.usecases.get_chat_history(chat.chat_id) if m.content.text == text]
    assert stored.relayed_message_id is not None
    return update.message.message_id, stored.relayed_message_id


def unsend_reply(user: User, message_id: int) -> Update:
    """/unsend as a reply to a message of the user's own chat (their own: `from` is them)."""
    target = replied(user.id, message_id).model_copy(update={"from_user": user})
    return message_update(user, "/unsend", reply_to_message=target)


def deleted(telegram: FakeTelegram) -> list[tuple[int, int]]:
    return [(int(request.chat_id), request.message_id) for request in telegram.of_type(DeleteMessage)]


async def unsent_at(pool: asyncpg.Pool[Any], sender: User, message_id: int) -> Any:
    return await pool.fetchval(
        "SELECT deleted_at FROM messages WHERE sender_id = $1 AND source_message_id = $2", sender.id, message_id
    )


@pytest.fixture
async def chat_id(app: App, telegram: FakeTelegram) -> int:
    chat = await start_chat(app, ALICE, BOB)
    telegram.clear()
    return chat


async def test_unsend_as_a_reply_deletes_the_partners_copy_and_keeps_the_message_marked(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], chat_id: int
) -> None:
    oops, oops_copy = await say(app, ALICE, "my phone number is 555-0100")
    await say(app, ALICE, "and something else")

    await feed(app, unsend_reply(ALICE, oops))

    assert deleted(telegram) == [(BOB.id, oops_copy)]
    [confirmation] = [r for r in telegram.sent_to(ALICE.id) if isinstance(r, SendMessage)]
    assert confirmation.text == UNSENT
    assert confirmation.reply_parameters is not None and confirmation.reply_parameters.message_id == oops
    assert await unsent_at(pool, ALICE, oops) is not None
    assert len(await app.usecases.get_chat_history(chat_id)) == 2  # kept, as evidence


async def test_unsend_without_a_reply_takes_back_the_last_message_only(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    await say(app, ALICE, "first")
    last, last_copy = await say(app, ALICE, "second, sent by mistake")
    await say(app, BOB, "what?")

    await feed(app, message_update(ALICE, "/unsend"))
    await feed(app, message_update(ALICE, "/unsend"))

    assert deleted(telegram) == [(BOB.id, last_copy)]
    assert telegram.texts_to(ALICE.id)[-2:] == [UNSENT, "That message was already unsent."]
    assert not any("unsend" in (getattr(r, "text", "") or "") for r in telegram.sent_to(BOB.id))  # never relayed


async def test_unsend_of_a_partners_message_or_of_another_chats_changes_nothing_and_says_why(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], chat_id: int
) -> None:
    earlier, _copy = await say(app, ALICE, "from the first chat")
    _their, their_copy = await say(app, BOB, "bob's words")

    await feed(app, message_update(ALICE, "/unsend", reply_to_message=replied(ALICE.id, their_copy)))
    assert telegram.last_text_to(ALICE.id) == "Only your own messages can be unsent: reply /unsend to one of yours."

    await feed(app, message_update(ALICE, "/stop"))
    await feed(app, unsend_reply(ALICE, earlier))
    assert telegram.last_text_to(ALICE.id) == (
        "You are not in a chat: the messages of a chat that is over stay as they are."
    )

    await start_chat(app, ALICE, CAROL)
    await feed(app, unsend_reply(ALICE, earlier))
    assert telegram.last_text_to(ALICE.id) == "That message is not from your current chat, so it can't be unsent."
    await feed(app, message_update(ALICE, "/unsend"))
    assert telegram.last_text_to(ALICE.id) == "You have not sent anything in this chat yet."

    assert deleted(telegram) == []
    assert await unsent_at(pool, ALICE, earlier) is None


async def test_a_message_older_than_48_hours_is_not_unsent(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], chat_id: int
) -> None:
    old, _copy = await say(app, ALICE, "from two days ago")
    await pool.execute("UPDATE messages SET created_at = now() - interval '49 hours' WHERE chat_id = $1", chat_id)

    await feed(app, unsend_reply(ALICE, old))

    assert telegram.last_text_to(ALICE.id) == (
        "That message is more than 48 hours old: Telegram no longer lets the bot delete your partner's copy."
    )
    assert deleted(telegram) == [] and await unsent_at(pool, ALICE, old) is None


async def test_a_copy_telegram_refuses_to_delete_is_told_and_one_already_gone_counts_as_unsent(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    refused, _copy = await say(app, ALICE, "one")
    gone, _other = await say(app, ALICE, "two")
    telegram.fail_next(DeleteMessage, lambda m: TelegramBadRequest(m, "Bad Request: message can't be deleted"))
    telegram.fail_next(DeleteMessage, lambda m: TelegramBadRequest(m, "Bad Request: message to delete not found"))

    await feed(app, unsend_reply(ALICE, refused), unsend_reply(ALICE, gone))

    assert telegram.texts_to(ALICE.id)[-2:] == [
        "Telegram did not let the bot delete your partner's copy of this message.",
        UNSENT,
    ]


async def test_an_edit_of_an_unsent_message_goes_nowhere(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    text, _copy = await say(app, ALICE, "typo")
    await feed(app, unsend_reply(ALICE, text), edited_update(ALICE, text, "typo fixed"))

    assert telegram.of_type(EditMessageText) == []


async def test_a_report_after_an_unsend_still_shows_the_unsent_message(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    insult, _copy = await say(app, BOB, "you are an idiot")
    await feed(app, unsend_reply(BOB, insult))

    await feed(app, message_update(ALICE, "/report"))
    await feed(app, callback_update(ALICE, Report(chat_id=chat_id, reason=ReportReason.ABUSE, block=True).pack()))
    await feed(app, message_update(ADMIN, "/reports"))
    markup = telegram.last_markup_to(ADMIN_ID)
    assert markup is not None
    [token] = [button.callback_data or "" for row in markup.inline_keyboard for button in row]
    await feed(app, callback_update(ADMIN, token))

    shown = telegram.last_text_to(ADMIN_ID)
    assert "<b>reported</b> [text] you are an idiot" in shown and "↩️ unsent at" in shown
