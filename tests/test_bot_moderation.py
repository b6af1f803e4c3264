"""Moderation that can be trusted: evidence that edits cannot erase, reporting a message, the
admins' queue of reported chats only, holds and bans told as they are."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import EditMessageReplyMarkup
from aiogram.methods import EditMessageText
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.callbacks import AdminReport
from roulette.bot.callbacks import Report
from roulette.bot.callbacks import ReportAction
from roulette.domain import REVIEW_HOLD_UNTIL
from roulette.domain import ReportReason
from roulette.usecases.moderation import ReportClosed
from roulette.usecases.moderation import ReportUnavailable
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import feed
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import replied
from tests.support.telegram_double import tg_user

ADMIN = tg_user(ADMIN_ID, first_name="Admin")


async def copy_id_of(app: App, chat_id: int, text: str, timeout: float = 5.0) -> int:
    """The id of the partner's copy of a message, once it was relayed and recorded."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for message in await app.usecases.get_chat_history(chat_id):
            if message.content.text == text and message.relayed_message_id is not None:
                return message.relayed_message_id
        assert asyncio.get_running_loop().time() < deadline, f"{text!r} was never relayed"
        await asyncio.sleep(0.05)


def buttons(markup: InlineKeyboardMarkup | None) -> list[tuple[str, str]]:
    assert markup is not None
    return [(button.text, button.callback_data or "") for row in markup.inline_keyboard for button in row]


async def report_by_reply(app: App, telegram: FakeTelegram, reporter: User, copy_id: int, reason: str) -> None:
    """Reply /report to a partner's message, then pick the reason from the buttons offered."""
    await feed(app, message_update(reporter, "/report", reply_to_message=replied(reporter.id, copy_id)))
    assert telegram.last_text_to(reporter.id) == "Why are you reporting this message?"
    [choice] = [data for text, data in buttons(telegram.last_markup_to(reporter.id)) if f":{reason}:" in data]
    await feed(app, callback_update(reporter, choice))


async def open_queue(app: App, telegram: FakeTelegram) -> list[str]:
    """/reports as the admin; the callback data of the queue's buttons."""
    await feed(app, message_update(ADMIN, "/reports"))
    return [data for _text, data in buttons(telegram.last_markup_to(ADMIN_ID))]


async def audit(pool: asyncpg.Pool[Any]) -> list[tuple[str, int | None]]:
    rows = await pool.fetch("SELECT action, target_user_id FROM admin_audit ORDER BY id")
    return [(row["action"], row["target_user_id"]) for row in rows]


# --- evidence and reporting a message ------------------------------------------------------------


async def test_replying_report_to_a_message_files_it_as_evidence_with_every_version_of_it(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(8001, first_name="Alice"), tg_user(8002, first_name="Bobby")
    chat_id = await start_chat(app, alice, bob)
    insult = message_update(bob, "you are an idiot")
    await feed(app, insult, message_update(alice, "hi"))
    copy_id = await copy_id_of(app, chat_id, "you are an idiot")
    assert insult.message is not None
    # the abuser edits the insult into something harmless before being reported
    await feed(app, edited_update(bob, insult.message.message_id, "have a nice day"))

    await report_by_reply(app, telegram, alice, copy_id, "abuse")

    [report] = await pool.fetch("SELECT chat_id, reporter_id, reported_id, reason, message_id FROM reports")
    evidence = await pool.fetchval(
        "SELECT id FROM messages WHERE chat_id = $1 AND sender_id = $2 AND source_message_id = $3",
        chat_id,
        bob.id,
        insult.message.message_id,
    )
    assert (report["chat_id"], report["reporter_id"], report["reported_id"]) == (chat_id, alice.id, bob.id)
    assert (report["reason"], report["message_id"]) == ("abuse", evidence)
    [token] = await open_queue(app, telegram)
    await feed(app, callback_update(ADMIN, token))
    shown = telegram.last_text_to(ADMIN_ID)
    assert "🚩" in shown and "<b>reported</b> [text] you are an idiot" in shown
    assert "✏️ edit 1 at" in shown and "have a nice day" in shown
    assert "<b>reporter</b> [text] hi" in shown
    for secret in (str(alice.id), str(bob.id), "Alice", "Bobby"):
        assert secret not in shown


async def test_a_report_blocks_the_pair_and_ends_the_chat_unless_the_reporter_says_otherwise(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob, carol, dave = tg_user(8011), tg_user(8012), tg_user(8013), tg_user(8014)
    chat_id = await start_chat(app, alice, bob)
    await feed(app, message_update(bob, "spam spam"))
    copy_id = await copy_id_of(app, chat_id, "spam spam")

    await report_by_reply(app, telegram, alice, copy_id, "spam")

    assert await app.usecases.get_current_chat(alice.id) is Unpaired.IDLE
    assert telegram.texts_to(bob.id)[-2:] == PARTNER_LEFT
    for user in (alice, bob):
        await feed(app, message_update(user, "/search"))
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.SEARCHING  # never paired again
    await feed(app, message_update(alice, "/stop"), message_update(bob, "/stop"))

    # Carol reports Dave but turns the block off: the chat goes on, and ⛔ Block stays offered.
    other_chat = await start_chat(app, carol, dave)
    await feed(app, message_update(carol, "/report"))
    assert telegram.last_text_to(carol.id) == "Why are you reporting this chat?"
    await feed(app, callback_update(carol, Report(chat_id=other_chat, block=False).pack()))
    switched = telegram.of_type(EditMessageReplyMarkup)[-1].reply_markup
    assert ("⬜ Also block this person", Report(chat_id=other_chat, block=True).pack()) in buttons(switched)
    await feed(app, callback_update(carol, Report(chat_id=other_chat, reason=ReportReason.ABUSE, block=False).pack()))
    answer = telegram.of_type(AnswerCallbackQuery)[-1]
    assert answer.text == "Thank you. The report was sent to the moderators."
    kept = telegram.of_type(EditMessageText)[-1]
    assert kept.text.endswith("✔️ 🚩 Abuse or harassment")
    assert buttons(kept.reply_markup) == [("⛔ Block", f"b:{other_chat}")]
    assert await app.usecases.get_current_chat(carol.id) == InChat(other_chat, partner_id=dave.id)


async def test_report_without_a_partners_message_to_point_at_explains_itself(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(8021), tg_user(8022)
    await onboard(app, alice)
    await feed(app, message_update(alice, "/report"))
    assert telegram.last_text_to(alice.id) == "You are not in a chat. To report a message, reply to it with /report."
    chat_id = await start_chat(app, alice, bob)
    own = message_update(alice, "my own words")
    await feed(app, own)
    assert own.message is not None

    # a reply to one's own message, or to a message id that is nobody's copy, reports nothing
    for replied_id in (own.message.message_id, 987_654):
        await feed(app, message_update(alice, "/report", reply_to_message=replied(alice.id, replied_id)))
        assert telegram.last_text_to(alice.id).startswith("To report a message, reply to it with /report.")
    assert (await app.usecases.get_stats()).open_reports == 0
    assert await app.usecases.get_current_chat(alice.id) == InChat(chat_id, partner_id=bob.id)


# --- the admins' queue ------------------------------------------------------------------------------


async def test_admins_see_reported_chats_only_by_token_and_every_look_is_audited(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob, carol, dave = tg_user(8031), tg_user(8032), tg_user(8033), tg_user(8034)
    reported_chat = await start_chat(app, alice, bob)
    await feed(app, message_update(bob, "rude words"), message_update(alice, "/stop"))
    await start_chat(app, carol, dave)
    await feed(app, message_update(carol, "a private chat nobody reported"), message_update(carol, "/stop"))
    await feed(app, callback_update(alice, Report(chat_id=reported_chat, reason=ReportReason.ABUSE).pack()))

    queue = await open_queue(app, telegram)

    assert "a message named" not in telegram.last_text_to(ADMIN_ID)
    [open_data] = queue
    opened = AdminReport.unpack(open_data)
    # nothing but a random token: no chat, report or user number to count up from
    assert open_data == f"ar:open:{opened.token.hex}" and opened.token.version == 4
    await feed(app, callback_update(ADMIN, open_data))
    shown = telegram.last_text_to(ADMIN_ID)
    assert "<b>reported</b> [text] rude words" in shown and "nobody reported" not in shown
    assert str(alice.id) not in shown and str(bob.id) not in shown
    # A token nobody was given opens nothing.
    forged = AdminReport(action=ReportAction.OPEN, token=UUID(int=reported_chat)).pack()
    await feed(app, callback_update(ADMIN, forged))
    assert telegram.of_type(AnswerCallbackQuery)[-1].text == "This report no longer exists."

    await feed(app, callback_update(ADMIN, AdminReport(action=ReportAction.REVEAL, token=opened.token).pack()))
    assert telegram.last_text_to(ADMIN_ID).startswith(f"The reported user's id: <code>{bob.id}</code>")
    await feed(app, message_update(ADMIN, f"/ban {bob.id} 5"))
    await feed(app, callback_update(ADMIN, AdminReport(action=ReportAction.LIFT, token=opened.token).pack()))
    assert telegram.of_type(AnswerCallbackQuery)[-1].text == "Closed; the ban is lifted."
    lifted = await app.usecases.get_user(bob.id)
    assert lifted is not None and lifted.banned_until is None
    assert await open_queue(app, telegram) == [] or telegram.last_text_to(ADMIN_ID) == "No open reports."

    assert await audit(pool) == [
        ("list_reports", None),
        ("open_report", None),
        ("reveal", bob.id),
        ("ban", bob.id),
        ("close_report", None),
        ("list_reports", None),
    ]
    report_id = await pool.fetchval("SELECT id FROM reports")
    assert await pool.fetchval("SELECT count(*) FROM admin_audit WHERE report_id = $1", report_id) == 3


async def test_admin_buttons_from_anyone_else_do_nothing(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(8041), tg_user(8042)
    chat_id = await start_chat(app, alice, bob)
    await feed(app, message_update(alice, "/stop"))
    await feed(app, callback_update(alice, Report(chat_id=chat_id, reason=ReportReason.SPAM).pack()))
    token = await pool.fetchval("SELECT token FROM reports")
    telegram.clear()

    for action in ReportAction:
        await feed(app, callback_update(bob, AdminReport(action=action, token=token).pack()))

    assert [answer.text for answer in telegram.of_type(AnswerCallbackQuery)] == [
        "This button is no longer active."
    ] * len(ReportAction)
    assert str(alice.id) not in str(telegram.requests)
    assert await audit(pool) == []
    assert await pool.fetchval("SELECT resolved_at FROM reports") is None


async def test_two_admins_closing_one_report_at_once_close_it_once(app: App, pool: asyncpg.Pool[Any]) -> None:
    alice, bob = tg_user(8051), tg_user(8052)
    chat_id = await start_chat(app, alice, bob)
    await feed(app, message_update(alice, "/stop"))
    await feed(app, callback_update(alice, Report(chat_id=chat_id, reason=ReportReason.SPAM).pack()))
    token = await pool.fetchval("SELECT token FROM reports")

    results = await asyncio.gather(
        app.usecases.close_report(ADMIN_ID, token, lift=False),
        app.usecases.close_report(ADMIN_ID + 1, token, lift=True),
    )

    assert ReportUnavailable.ALREADY_CLOSED in results
    assert sum(isinstance(result, ReportClosed) for result in results) == 1
    assert await pool.fetchval("SELECT count(*) FROM admin_audit WHERE action = 'close_report'") == 1


# --- holds and bans ---------------------------------------------------------------------------------


async def test_a_report_that_the_partner_seems_underage_holds_them_at_once_without_saying_why(
    app: App, telegram: FakeTelegram
) -> None:
    teen, adult, bystander = tg_user(8061), tg_user(8062), tg_user(8063)
    chat_id = await start_chat(app, teen, adult)
    await feed(app, message_update(teen, "/stop"))
    await onboard(app, bystander)
    await start_chat(app, adult, bystander)  # the reported adult is talking to someone else already
    telegram.clear()

    await feed(app, callback_update(teen, Report(chat_id=chat_id, reason=ReportReason.MINOR).pack()))

    held = await app.usecases.get_user(adult.id)
    assert held is not None and held.banned_until == REVIEW_HOLD_UNTIL
    assert await app.usecases.get_current_chat(adult.id) is Unpaired.IDLE
    assert telegram.texts_to(bystander.id)[-2:] == PARTNER_LEFT
    assert telegram.texts_to(adult.id) == []  # not told anything at the time
    assert "held for review" in telegram.last_text_to(ADMIN_ID)
    await feed(app, message_update(adult, "/search"))
    told = telegram.last_text_to(adult.id)
    assert told == "Searching is paused for your account for now."
    assert await app.usecases.get_current_chat(adult.id) is Unpaired.IDLE


async def test_a_ban_for_reports_is_told_at_once_and_admins_hear_of_it_even_if_the_reporter_cannot_be_answered(
    app: App, telegram: FakeTelegram
) -> None:
    troll = tg_user(8071)
    reporters = [tg_user(8072 + n) for n in range(app.settings.report_ban_threshold)]
    chats = []
    for reporter in reporters:
        chats.append(await start_chat(app, troll, reporter))
        await feed(app, message_update(reporter, "/stop"))
    telegram.clear()
    for _reporter in reporters:  # every reporter's button is too old to be answered
        telegram.fail_next(
            AnswerCallbackQuery, lambda call: TelegramBadRequest(call, "query is too old and response timeout expired")
        )

    for reporter, chat_id in zip(reporters, chats, strict=True):
        await feed(app, callback_update(reporter, Report(chat_id=chat_id, reason=ReportReason.ABUSE).pack()))

    notices = telegram.texts_to(ADMIN_ID)
    assert len(notices) == len(reporters) and "now banned" in notices[-1]
    hours = app.settings.report_ban_hours
    [told] = telegram.texts_to(troll.id)
    assert told.startswith(f"⛔ Several users reported you, so you can't search for {hours} h (until ")


async def test_a_ban_by_an_admin_is_told_at_once_and_claims_no_reports(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(8081)
    await onboard(app, user)
    telegram.clear()

    await feed(app, message_update(ADMIN, f"/ban {user.id} 3"))

    [told] = telegram.texts_to(user.id)
    assert told.startswith("⛔ A moderator has banned you for 3 h (until ") and "report" not in told
    await feed(app, message_update(user, "/search"))
    assert "report" not in telegram.last_text_to(user.id)
