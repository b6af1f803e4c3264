"""Keeping the least: media that reach minors blurred (or as text), /deleteme that leaves no trace,
and a retention purge that runs at start, keeps what is under review and works in small batches."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import SendMessage
from aiogram.methods import SendPhoto
from aiogram.methods import SendVideo
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.app import purge_periodically
from roulette.bot.callbacks import Report
from roulette.domain import ReportReason
from roulette.settings import SettingsError
from roulette.settings import load_settings
from roulette.storage.uow import Database
from roulette.usecases import PurgeExpired
from roulette.usecases import RetentionPolicy
from tests.support.flows import ADMIN_ID
from tests.support.flows import feed
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import album_updates
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import sticker
from tests.support.telegram_double import tg_user
from tests.support.telegram_double import video

ADMIN = tg_user(ADMIN_ID)


async def minors_in_chat(app: App, first: User, second: User) -> int:
    await onboard(app, first, age="15")
    await onboard(app, second, age="16")
    return await start_chat(app, first, second)


# --- media --------------------------------------------------------------------------------------


async def test_photos_and_videos_reach_a_minor_blurred_and_an_adult_as_sent(app: App, telegram: FakeTelegram) -> None:
    teen, other_teen = tg_user(9001), tg_user(9002)
    await minors_in_chat(app, teen, other_teen)
    adult, other_adult = tg_user(9003), tg_user(9004)
    await start_chat(app, adult, other_adult)
    telegram.clear()

    await feed(app, message_update(teen, photo=photo("p1"), caption="look"), message_update(teen, video=video("v1")))
    await feed(app, message_update(adult, photo=photo("p2")))

    blurred_photo, blurred_video = telegram.sent_to(other_teen.id)
    assert isinstance(blurred_photo, SendPhoto) and blurred_photo.has_spoiler and blurred_photo.photo == "p1"
    assert blurred_photo.caption == "look" and blurred_photo.protect_content
    assert isinstance(blurred_video, SendVideo) and blurred_video.has_spoiler and blurred_video.video == "v1"
    [copy] = telegram.sent_to(other_adult.id)
    assert isinstance(copy, CopyMessage)


async def test_an_album_reaches_a_minor_as_blurred_photos_never_as_a_plain_copy(
    app: App, telegram: FakeTelegram
) -> None:
    teen, other_teen = tg_user(9005), tg_user(9006)
    await minors_in_chat(app, teen, other_teen)
    telegram.clear()

    await feed(app, *album_updates(teen, count=3, media_group_id="holiday"))
    await app.albums.settle_all(app.courier, app.usecases, app.settings)

    sent = telegram.sent_to(other_teen.id)
    assert [type(method) for method in sent] == [SendPhoto] * 3
    assert all(isinstance(method, SendPhoto) and method.has_spoiler for method in sent)
    assert not telegram.of_type(CopyMessages)


async def test_each_user_chooses_in_settings_how_partners_media_reach_them(app: App, telegram: FakeTelegram) -> None:
    teen, other_teen = tg_user(9011), tg_user(9012)
    await minors_in_chat(app, teen, other_teen)
    await feed(app, message_update(other_teen, "/settings"))
    assert "Partner's photos and videos: Blur" in telegram.last_text_to(other_teen.id)

    await feed(app, callback_update(other_teen, "md:text"))
    telegram.clear()
    await feed(app, message_update(teen, photo=photo("p1")), message_update(teen, sticker=sticker()))

    placeholders = telegram.sent_to(other_teen.id)
    assert all(isinstance(sent, SendMessage) for sent in placeholders)
    assert telegram.texts_to(other_teen.id) == [
        "📷 Your partner sent a photo. (You get partners' media as text only: /settings)",
        "🖼 Your partner sent a sticker. (You get partners' media as text only: /settings)",
    ]
    await feed(app, message_update(teen, "words still arrive"))
    assert isinstance(telegram.sent_to(other_teen.id)[-1], CopyMessage)

    await feed(app, callback_update(other_teen, "md:shown"))
    telegram.clear()
    await feed(app, message_update(teen, photo=photo("p2")))
    [copy] = telegram.sent_to(other_teen.id)
    assert isinstance(copy, CopyMessage)
    await feed(app, callback_update(other_teen, "md:loud"))
    user = await app.usecases.get_user(other_teen.id)
    assert user is not None and user.partner_media is not None and user.partner_media.value == "shown"


# --- /deleteme ------------------------------------------------------------------------------------

# every column that holds a user id, table by table
ROWS_NAMING_A_USER = {
    "users": "SELECT count(*) FROM users WHERE id = $1",
    "chats": "SELECT count(*) FROM chats WHERE $1 IN (user_a, user_b, ended_by)",
    "chat_participants": "SELECT count(*) FROM chat_participants WHERE user_id = $1",
    "messages": "SELECT count(*) FROM messages WHERE sender_id = $1",
    "ratings": "SELECT count(*) FROM ratings WHERE $1 IN (rater_id, ratee_id)",
    "reports": "SELECT count(*) FROM reports WHERE $1 IN (reporter_id, reported_id)",
    "blocks": "SELECT count(*) FROM blocks WHERE $1 IN (blocker_id, blocked_id)",
    "fsm_state": "SELECT count(*) FROM fsm_state WHERE $1 IN (user_id, chat_id)",
    "search_queue": "SELECT count(*) FROM search_queue WHERE user_id = $1",
    "admin_audit": "SELECT count(*) FROM admin_audit WHERE target_user_id = $1",
}


async def rows_naming(pool: asyncpg.Pool[Any], user_id: int) -> dict[str, int]:
    found = {}
    for table, query in ROWS_NAMING_A_USER.items():
        count = await pool.fetchval(query, user_id)
        if count:
            found[table] = count
    return found


async def test_deleteme_lists_what_goes_and_leaves_only_what_others_filed_about_the_user(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob, carol = tg_user(9021), tg_user(9022), tg_user(9023)
    first = await start_chat(app, alice, bob)
    await feed(app, message_update(alice, "hello"), message_update(bob, "hi"), message_update(alice, "/stop"))
    await feed(app, callback_update(alice, f"r:{first}:1"), callback_update(bob, f"r:{first}:-1"))
    await feed(
        app, callback_update(alice, Report(chat_id=first, reason=ReportReason.SPAM).pack())
    )  # alice reports and blocks bob
    second = await start_chat(app, alice, carol)
    await feed(app, message_update(alice, "/stop"))
    await feed(
        app, callback_update(carol, Report(chat_id=second, reason=ReportReason.ABUSE).pack())
    )  # carol reports alice

    await feed(app, message_update(alice, "/deleteme"))
    confirmation = telegram.last_text_to(alice.id)
    for item in ("profile", "ratings you received", "every message you sent", "blocks you made", "every past chat"):
        assert item in confirmation, item
    assert "What stays: reports and blocks other people made about you" in confirmation
    await feed(app, callback_update(alice, "d:1"))

    # Only carol's report (and block) about alice name her; alice's report about bob stays, without her.
    assert await rows_naming(pool, alice.id) == {"reports": 1, "blocks": 1}
    assert await pool.fetchval("SELECT reporter_id FROM reports WHERE reported_id = $1", alice.id) == carol.id
    assert await pool.fetchval("SELECT reporter_id FROM reports WHERE reported_id = $1", bob.id) is None
    bob_now = await app.usecases.get_user(bob.id)
    assert bob_now is not None and bob_now.reputation.likes == 1  # alice's like of bob still counts
    assert await pool.fetchval("SELECT count(*) FROM chats WHERE id IN ($1, $2)", first, second) == 2

    # Ratings, reports and blocks aimed at the deleted user now store nothing about them.
    before = await rows_naming(pool, alice.id)
    telegram.clear()
    await feed(
        app,
        callback_update(carol, f"r:{second}:-1"),
        callback_update(bob, Report(chat_id=first, reason=ReportReason.ABUSE).pack()),
        callback_update(bob, f"b:{first}"),
    )
    gone = "Your partner has deleted their data: nothing about them is recorded."
    assert [answer.text for answer in telegram.of_type(AnswerCallbackQuery)] == [gone] * 3
    assert await rows_naming(pool, alice.id) == before
    assert await pool.fetchval("SELECT count(*) FROM ratings WHERE ratee_id IS NULL OR chat_id = $1", second) == 0


# --- retention ------------------------------------------------------------------------------------


async def ended_chat_with_messages(app: App, first: User, second: User, count: int) -> int:
    chat_id = await start_chat(app, first, second)
    await feed(app, *(message_update(first, f"message {n}") for n in range(count)), message_update(first, "/stop"))
    return chat_id


async def stored(pool: asyncpg.Pool[Any], chat_id: int) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM messages WHERE chat_id = $1", chat_id)
    return count


async def age_chat(pool: asyncpg.Pool[Any], chat_id: int, ago: timedelta) -> None:
    await pool.execute("UPDATE chats SET ended_at = now() - $2::interval WHERE id = $1", chat_id, ago)


async def test_the_purge_runs_at_start_not_an_hour_later(app: App, pool: asyncpg.Pool[Any]) -> None:
    chat_id = await ended_chat_with_messages(app, tg_user(9031), tg_user(9032), 2)
    await age_chat(pool, chat_id, timedelta(days=2))

    purger = asyncio.create_task(purge_periodically(app))
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while await stored(pool, chat_id):
            assert asyncio.get_running_loop().time() < deadline, "the purge did not run at start"
            await asyncio.sleep(0.05)
    finally:
        purger.cancel()


async def test_a_reported_chat_keeps_messages_and_metadata_until_the_report_is_closed(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob, carol, dave = tg_user(9041), tg_user(9042), tg_user(9043), tg_user(9044)
    reported = await ended_chat_with_messages(app, alice, bob, 3)
    await feed(app, callback_update(bob, Report(chat_id=reported, reason=ReportReason.ABUSE).pack()))
    plain = await ended_chat_with_messages(app, carol, dave, 3)
    for chat_id in (reported, plain):
        await age_chat(pool, chat_id, timedelta(days=40))

    await app.usecases.purge_expired()

    assert await stored(pool, reported) == 3
    assert await pool.fetchval("SELECT count(*) FROM chats WHERE id = $1", plain) == 0  # metadata expired too
    token = await pool.fetchval("SELECT token FROM reports")
    await app.usecases.close_report(ADMIN_ID, token, lift=False)
    await app.usecases.purge_expired()
    assert await stored(pool, reported) == 0
    assert await pool.fetchval("SELECT count(*) FROM chats") == 0
    # the block alice's report made outlives the chat
    assert await pool.fetchval("SELECT count(*) FROM blocks WHERE blocker_id = $1", bob.id) == 1


async def test_messages_go_a_grace_period_after_the_chat_ends_and_never_while_it_runs(
    app: App, pool: asyncpg.Pool[Any]
) -> None:
    over = await ended_chat_with_messages(app, tg_user(9051), tg_user(9052), 2)
    recent = await ended_chat_with_messages(app, tg_user(9053), tg_user(9054), 2)
    running = await start_chat(app, tg_user(9055), tg_user(9056))
    await feed(app, message_update(tg_user(9055), "still talking"))
    hours = app.settings.message_retention_hours
    await age_chat(pool, over, timedelta(hours=hours, minutes=1))
    await age_chat(pool, recent, timedelta(hours=hours - 1))
    await pool.execute("UPDATE messages SET created_at = now() - interval '30 days'")

    purged = await app.usecases.purge_expired()

    assert (purged.messages, purged.chats) == (2, 0)
    assert (await stored(pool, over), await stored(pool, recent), await stored(pool, running)) == (0, 2, 1)
    assert await pool.fetchval("SELECT messages_purged FROM chats WHERE id = $1", over)


async def test_the_purge_deletes_in_bounded_batches_and_two_purges_at_once_share_the_work(
    app: App, pool: asyncpg.Pool[Any]
) -> None:
    chats = [await ended_chat_with_messages(app, tg_user(9060 + 2 * n), tg_user(9061 + 2 * n), 7) for n in range(5)]
    for chat_id in chats:
        await age_chat(pool, chat_id, timedelta(days=2))
    purge = PurgeExpired(Database(pool), RetentionPolicy(message_hours=24, chat_days=30, batch=10))

    first, second = await asyncio.gather(purge(), purge())

    assert first.messages + second.messages == 35
    assert first.batches + second.batches >= 4  # 35 messages, at most 10 a batch
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0
    async with Database(pool).statement() as statement:
        assert (await statement.retention.purge_messages(24, 10)).messages == 0


def test_message_retention_is_set_in_hours_and_the_old_days_setting_is_still_read() -> None:
    assert load_settings().message_retention_hours == 24
    assert load_settings().chat_retention_days == 30
    assert load_settings(message_retention_days=2).message_retention_hours == 48
    with pytest.raises(SettingsError, match="MESSAGE_RETENTION_DAYS"):
        load_settings(message_retention_days=2, message_retention_hours=5)
    with pytest.raises(SettingsError, match="CHAT_RETENTION_DAYS"):
        load_settings(message_retention_hours=24 * 31, chat_retention_days=30)
