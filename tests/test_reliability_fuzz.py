"""Ten thousand random updates through the real Dispatcher: nothing breaks, nothing leaks.

The updates come from tests/support/fuzz_updates.py as JSON and are parsed exactly as a webhook or
getUpdates answer is (`Dispatcher.feed_raw_update`), in batches handled concurrently like
roulette/bot/polling.py does. Telegram is the in-process double, which is fast and records
which update each request was made for.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import SendMessage
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from roulette.bot.app import App
from roulette.bot.app import build_app
from roulette.i18n import build_i18n
from roulette.settings import Settings
from roulette.storage.exactly_once import current_update_id
from tests.support.bot_process import anochat_check
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.flows import ADMIN_ID
from tests.support.fuzz_updates import FuzzUser
from tests.support.fuzz_updates import UpdateFuzzer
from tests.support.fuzz_updates import fuzz_users
from tests.support.telegram_double import BOT_USER
from tests.support.telegram_double import TOKEN
from tests.support.telegram_double import FakeTelegram

pytestmark = [pytest.mark.reliability, pytest.mark.filterwarnings("ignore:Detected unknown update type")]

UPDATES = 10_000
USERS = 150
STRANGERS = 15  # never press /start
BATCH = 25  # updates handled at once, like one getUpdates answer
CHECK_INVARIANTS_EVERY = 2_500
FLOOD_NOTICE = "You are sending messages too fast. Wait a few seconds: messages sent meanwhile are not delivered."


class RecordingTelegram(FakeTelegram):
    """The Telegram double, also remembering which update each request was made for."""

    def __init__(self) -> None:
        super().__init__()
        self.made_for: list[tuple[int | None, float]] = []  # parallel to `requests`

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.made_for.append((current_update_id(), time.monotonic()))
        return await super().make_request(bot, method, timeout)


class ErrorCount(logging.Handler):
    """Counts ERROR records of the app: the error handler's, and any other logged failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def errors() -> AsyncIterator[ErrorCount]:
    handler = ErrorCount()
    logger = logging.getLogger("roulette")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


class ChatDirectory:
    """The chats so far, refreshed from the database now and then, for plausible button presses."""

    def __init__(self) -> None:
        self.by_user: dict[int, list[int]] = {}
        self.all: list[int] = []

    async def refresh(self, pool: asyncpg.Pool[Any]) -> None:
        rows = await pool.fetch("SELECT id, user_a, user_b FROM chats ORDER BY id DESC LIMIT 500")
        self.all = [row["id"] for row in rows]
        self.by_user = {}
        for row in rows:
            for user_id in (row["user_a"], row["user_b"]):
                self.by_user.setdefault(user_id, []).append(row["id"])


def identity_pattern(users: list[FuzzUser]) -> tuple[re.Pattern[str], dict[str, int]]:
    """One regex finding any user's id, name or username; and whose each one is."""
    owner = {secret: user.id for user in users for secret in user.identity}
    alternatives = sorted(owner, key=len, reverse=True)
    return re.compile("|".join(re.escape(secret) for secret in alternatives)), owner


async def test_ten_thousand_fuzzed_updates_break_nothing_and_leak_nothing(
    pool: asyncpg.Pool[Any],
    database_url: str,
    bot_settings: Settings,
    errors: ErrorCount,
    pytestconfig: pytest.Config,
) -> None:
    telegram = RecordingTelegram()
    bot = Bot(TOKEN, session=telegram, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    app: App = build_app(bot_settings, pool, bot)
    users = [*fuzz_users(USERS - 1), FuzzUser(ADMIN_ID, "QxADMINZ", "qxadmin_z", "en")]
    chats = ChatDirectory()
    fuzzer = UpdateFuzzer(
        users,
        bot_user=BOT_USER.model_dump(mode="json", exclude_none=True),
        seed=20_240_611,
        chats_of=lambda user_id: chats.by_user.get(user_id, ()),
        all_chats=lambda: chats.all,
        strangers=STRANGERS,
        admin_id=ADMIN_ID,
    )
    escaped: list[BaseException] = []
    fed: list[tuple[dict[str, Any], bool, float]] = []  # (update, redelivered, when)
    seen: set[int] = set()
    started = time.monotonic()

    async def feed(update: dict[str, Any]) -> None:
        try:
            await app.dispatcher.feed_raw_update(bot, update)
        except Exception as error:  # anything the error handler did not take
            escaped.append(error)

    for batch_start in range(0, UPDATES, BATCH):
        batch = [fuzzer.next() for _ in range(BATCH)]
        for update in batch:
            fed.append((update, update["update_id"] in seen, time.monotonic()))
            seen.add(update["update_id"])
        await asyncio.gather(*(feed(update) for update in batch))
        if (batch_start + BATCH) % 500 == 0:
            await chats.refresh(pool)
        if (batch_start + BATCH) % CHECK_INVARIANTS_EVERY == 0:
            await no_violations(pool)
    await app.albums.settle_all(app.courier, app.usecases, app.settings)
    elapsed = time.monotonic() - started

    # Zero unhandled exceptions, zero broken invariants.
    assert escaped == []
    assert [logging.Formatter().format(record) for record in errors.records] == []
    violations = await no_violations(pool)

    # Every message someone sent got an answer: a reply to them, or a copy to their partner.
    by_update: dict[int, list[TelegramMethod[Any]]] = {}
    for request, (update_id, _when) in zip(telegram.requests, telegram.made_for, strict=True):
        if update_id is not None:
            by_update.setdefault(update_id, []).append(request)
    # Albums go out after a quiet period, away from their updates: copied (copyMessages), or sent
    # again from their parts (sendMediaGroup) when a caption had to be cleaned; either way recorded.
    # An album whose chat ended inside its quiet period goes nowhere, by design (never into the
    # receiver's next chat).
    album_copies = {
        (row["sender_id"], row["source_message_id"])
        for row in await pool.fetch(
            "SELECT m.sender_id, m.source_message_id FROM messages m JOIN chats c ON c.id = m.chat_id"
            " WHERE m.media_group_id IS NOT NULL AND (m.relayed_message_id IS NOT NULL OR c.ended_at IS NOT NULL)"
        )
    }
    # The notice in every language the bot speaks: the fuzzed users speak several.
    i18n = build_i18n()
    notice_texts = {i18n.gettext(FLOOD_NOTICE, locale=locale) for locale in i18n.available_locales}
    assert len(notice_texts) == len(i18n.available_locales) > 1
    flood_notices: dict[int, list[float]] = {}
    for request, (_update_id, when) in zip(telegram.requests, telegram.made_for, strict=True):
        if isinstance(request, SendMessage) and request.text in notice_texts and isinstance(request.chat_id, int):
            flood_notices.setdefault(request.chat_id, []).append(when)
    window = bot_settings.flood_window_seconds + 1
    answered = held_back = callbacks_answered = callbacks = 0
    unanswered: list[dict[str, Any]] = []
    for update, redelivered, when in fed:
        if redelivered:
            continue
        if "callback_query" in update:
            callbacks += 1
            made = by_update.get(update["update_id"], [])
            callbacks_answered += any(isinstance(request, AnswerCallbackQuery) for request in made)
        message = update.get("message")
        if message is None:
            continue
        sender = message["from"]["id"]
        if by_update.get(update["update_id"]) or (sender, message["message_id"]) in album_copies:
            answered += 1
        elif any(abs(when - notice) <= window for notice in flood_notices.get(sender, [])):
            held_back += 1  # over the flood limit: told once per window, then silence by design
        else:
            unanswered.append(update)
    assert callbacks_answered == callbacks
    # Redelivered updates relayed nothing twice.
    copied = Counter(
        (request.chat_id, request.from_chat_id, message_id)
        for request in telegram.requests
        if isinstance(request, CopyMessage | CopyMessages)
        for message_id in (request.message_ids if isinstance(request, CopyMessages) else [request.message_id])
    )
    copied_twice = sum(count > 1 for count in copied.values())
    assert copied_twice == 0

    # Nobody's id, name or username ever reached anyone else.
    pattern, owner = identity_pattern(users)
    leaks = []
    for request in telegram.requests:
        if isinstance(request, AnswerCallbackQuery):
            recipient = fuzzer.pressed_by.get(request.callback_query_id)
        else:
            recipient = getattr(request, "chat_id", None)
        sent = repr(request.model_dump(exclude={"chat_id", "from_chat_id"}))  # texts, entities, buttons
        leaks += [(recipient, found) for found in pattern.findall(sent) if owner[found] != recipient]
    assert leaks == []

    kinds = Counter({kind: count for kind, count in fuzzer.counts.items() if kind != "redelivery"})
    report(
        pytestconfig,
        "fuzz",
        updates_fuzzed=len(fed),
        duplicates_delivered=fuzzer.counts["redelivery"],
        users=len(users),
        requests_to_telegram=len(telegram.requests),
        messages_answered=answered,
        messages_held_by_flood_guard=held_back,
        callbacks_answered=f"{callbacks_answered}/{callbacks}",
        chats=await pool.fetchval("SELECT count(*) FROM chats"),
        messages_relayed=await pool.fetchval("SELECT count(*) FROM messages WHERE relayed_message_id IS NOT NULL"),
        copied_twice=copied_twice,
        error_handler_calls=len(errors.records),
        identity_leaks=len(leaks),
        violations=violations,
        messages_unanswered=len(unanswered),
        seconds=round(elapsed, 1),
    )
    report(pytestconfig, "fuzz kinds", **dict(kinds.most_common()))
    assert unanswered == []

    # The edits of profiles and wishes did their part (ages refused across 18, chats ended under
    # the rules, blocks made), and the operator's check over the final database finds nothing:
    # no adult-minor chat, no chat between a blocked pair, nothing else.
    assert kinds["profile edit"] > 100 and kinds["settings edit"] > 100
    assert await pool.fetchval("SELECT count(*) FROM chats WHERE end_reason = 'no_longer_compatible'") > 0
    assert await pool.fetchval("SELECT count(*) FROM blocks") > 0
    status, output = await anochat_check(database_url)
    assert "ok   active chat between an adult and a minor: 0" in output
    assert "ok   active chat between a blocked pair: 0" in output
    assert status == 0 and output.endswith("all invariants hold\n"), output
