"""The Bot API emulator, exercised through a real aiogram ``Bot`` over HTTP."""

from __future__ import annotations

import ast
import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram import Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.exceptions import TelegramConflictError
from aiogram.exceptions import TelegramForbiddenError
from aiogram.exceptions import TelegramNetworkError
from aiogram.exceptions import TelegramRetryAfter
from aiogram.exceptions import TelegramServerError
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.filters import CommandStart
from aiogram.methods import GetMe
from aiogram.methods import SendMessage
from aiogram.types import BotCommand
from aiogram.types import BotCommandScopeAllPrivateChats
from aiogram.types import BotCommandScopeChat
from aiogram.types import BufferedInputFile
from aiogram.types import CallbackQuery
from aiogram.types import ChatMemberBanned
from aiogram.types import ChatMemberMember
from aiogram.types import InlineKeyboardButton
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import InputMediaPhoto
from aiogram.types import KeyboardButton
from aiogram.types import Message
from aiogram.types import MessageReactionUpdated
from aiogram.types import ReactionTypeEmoji
from aiogram.types import ReplyKeyboardMarkup
from aiogram.types import ReplyKeyboardRemove
from aiogram.types import ReplyParameters
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

import tgemulator
from tgemulator import BotAPIEmulator
from tgemulator import EmulatorConfig
from tgemulator import SimUser
from tgemulator.methods.interaction import commands_for
from tgemulator.page import serve_page

TOKEN = "123456:TEST-TOKEN"
PACKAGE = Path(tgemulator.__file__).resolve().parent


def test_the_emulator_knows_nothing_of_the_bot() -> None:
    """tgemulator is a local Telegram for any bot: nothing in it may import the bot or its tests."""
    offending: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offending += [
                f"{path.relative_to(PACKAGE)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] in ("roulette", "tests", "bench", "anochat")
            ]
    assert offending == []


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, config=EmulatorConfig(webhook_retry_delay=0.05, seed=7))
    await emulator.start()
    yield emulator
    await emulator.stop()


def _bot_for(base_url: str, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))


async def _close(bot: Bot) -> None:
    # AiohttpSession.close() sleeps 250 ms for TLS shutdown; plain HTTP needs none of it.
    session = bot.session
    if isinstance(session, AiohttpSession) and session._session is not None:
        await session._session.close()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = _bot_for(emu.base_url)
    yield client
    await _close(client)


async def _started(emu: BotAPIEmulator, bot: Bot, name: str) -> SimUser:
    """A user who pressed /start (updates consumed)."""
    user = emu.user(first_name=name)
    await user.send_command("/start")
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return user


async def _drain(bot: Bot) -> list[Any]:
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


# ------------------------------------------------------------------ basics


async def test_get_me_unknown_token_and_method(emu: BotAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "anochat_test_bot"

    stranger = _bot_for(emu.base_url, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger(GetMe())
    finally:
        await _close(stranger)

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.api_url}/definitelyNotAMethod", json={}) as response:
            assert response.status == 404
            body = await response.json()
        async with http.get(f"{emu.api_url}/GETME") as response:
            case_insensitive = await response.json()
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert case_insensitive["result"]["id"] == 123456
    assert emu.calls["getMe"] == 2


async def test_user_text_becomes_message_update(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice", language_code="de")
    mid = await alice.send_text("hello 😀 @someone_else see example.com")
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 1
    message = updates[0].message
    assert isinstance(message, Message)
    assert message.message_id == mid
    assert message.text == "hello 😀 @someone_else see example.com"
    assert message.chat.id == alice.id == message.from_user.id  # type: ignore[union-attr]
    assert message.chat.type == "private"
    assert message.from_user is not None and message.from_user.language_code == "de"
    kinds = {(e.type, e.offset, e.length) for e in message.entities or []}
    # offsets count UTF-16 code units: the emoji takes two
    assert ("mention", 9, 13) in kinds
    assert ("url", 27, 11) in kinds


async def test_long_polling_wakes_up_and_times_out(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    await alice.send_text("ping")
    updates = await poll
    assert time.perf_counter() - started < 1.0
    assert [u.message.text for u in updates if u.message] == ["ping"]

    started = time.perf_counter()
    empty = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    elapsed = time.perf_counter() - started
    assert empty == []
    assert 0.9 <= elapsed < 3.0


async def test_offset_confirms_and_limit(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    for text in ("one", "two", "three"):
        await alice.send_text(text)
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    rest = await bot.get_updates(offset=first[1].update_id, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["two", "three"]
    assert rest[1].update_id == rest[0].update_id + 1
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == []
    assert emu.pending_updates == 0


async def test_second_poller_terminates_the_first(emu: BotAPIEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_allowed_updates_filters_later_updates(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    sent = await bot.send_message(alice.id, "menu")
    await bot.get_updates(allowed_updates=["message"], timeout=0)
    await alice.press(sent.message_id, "anything")
    await alice.send_text("text still arrives")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["text still arrives"]
    assert all(u.callback_query is None for u in updates)
    assert emu.updates_filtered == 1


# ---------------------------------------------------------------- sending


async def test_send_message_with_inline_keyboard(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Next", callback_data="next")],
            [
                InlineKeyboardButton(text="Stop", callback_data="stop"),
                InlineKeyboardButton(text="Site", url="https://example.com"),
            ],
        ]
    )
    sent = await bot.send_message(
        alice.id, "<b>Pick</b> one", parse_mode="HTML", reply_markup=markup, protect_content=True
    )
    assert sent.text == "Pick one"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    stored = alice.inbox[-1]
    assert stored.message_id == sent.message_id
    assert stored.text == "Pick one"
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert stored.kind == "text"
    assert stored.protect_content
    assert stored.button_texts == [["Next"], ["Stop", "Site"]]
    assert stored.callback_data("Stop") == "stop"
    assert stored.reply_markup is not None and "inline_keyboard" in stored.reply_markup

    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            alice.id,
            "too long",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="y" * 65)]]
            ),
        )


async def test_reply_keyboard_and_text_errors(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Find partner")]], resize_keyboard=True)
    sent = await bot.send_message(alice.id, "Welcome", reply_markup=keyboard)
    assert sent.reply_markup is None  # only inline keyboards are echoed back
    assert alice.reply_keyboard is not None
    assert alice.reply_keyboard["keyboard"] == [[{"text": "Find partner"}]]

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(alice.id, "re", reply_parameters=ReplyParameters(message_id=999))
    ok = await bot.send_message(
        alice.id, "re", reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True)
    )
    assert ok.reply_to_message is None


async def test_chat_not_found_and_not_started(emu: BotAPIEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    silent = emu.user(first_name="Silent")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(silent.id, "hi")
    assert silent.inbox == []


async def test_copy_photo_keeps_file_caption_and_reply(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    bob = await _started(emu, bot, "Bob")
    earlier = await bot.send_message(bob.id, "Alice: hi")
    photo_mid = await alice.send_photo(caption="look at this")
    update = (await _drain(bot))[0]
    assert update.message is not None and update.message.photo is not None
    original_file_id = update.message.photo[-1].file_id
    assert alice.message(photo_mid).file_id == original_file_id

    copied = await bot.copy_message(
        chat_id=bob.id,
        from_chat_id=alice.id,
        message_id=photo_mid,
        reply_parameters=ReplyParameters(message_id=earlier.message_id),
    )
    copy = bob.message(copied.message_id)
    assert copy.from_bot and copy.kind == "photo"
    assert copy.file_id == original_file_id
    assert copy.caption == "look at this"
    assert copy.reply_to_message_id == earlier.message_id
    assert copy.copied_from == (alice.id, photo_mid)
    assert copy.method == "copyMessage"

    recaptioned = await bot.copy_message(bob.id, alice.id, photo_mid, caption="<i>new</i>", parse_mode="HTML")
    assert bob.message(recaptioned.message_id).caption == "new"
    assert bob.message(recaptioned.message_id).entities == [{"type": "italic", "offset": 0, "length": 3}]

    again = await bot.send_photo(bob.id, original_file_id)
    assert again.photo is not None and again.photo[-1].file_id == original_file_id

    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(bob.id, alice.id, 9999)


async def test_copy_of_text_dice_and_poll(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    bob = await _started(emu, bot, "Bob")
    text_mid = await alice.send_text("bold move", entities=[{"type": "bold", "offset": 0, "length": 4}])
    dice_mid = await alice.send_dice("🎯", value=5)
    poll_mid = await alice.send_poll("Tea?", ["Yes", "No"])
    copies = [await bot.copy_message(bob.id, alice.id, mid) for mid in (text_mid, dice_mid, poll_mid)]
    text_copy, dice_copy, poll_copy = (bob.message(c.message_id) for c in copies)
    assert text_copy.text == "bold move" and text_copy.entities[0]["type"] == "bold"
    assert dice_copy.content["dice"] == {"emoji": "🎯", "value": 5}
    assert poll_copy.content["poll"]["question"] == "Tea?"
    assert poll_copy.content["poll"]["id"] != alice.message(poll_mid).content["poll"]["id"]


async def test_copy_messages_keeps_album_together(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    bob = await _started(emu, bot, "Bob")
    ids = await alice.send_album(["photo", "photo", "video"], caption="trip")
    updates = await _drain(bot)
    groups = {u.message.media_group_id for u in updates if u.message}
    assert len(groups) == 1 and None not in groups

    result = await bot.copy_messages(bob.id, alice.id, ids)
    assert len(result) == 3
    copies = [bob.message(r.message_id) for r in result]
    assert [c.kind for c in copies] == ["photo", "photo", "video"]
    group_ids = {c.media_group_id for c in copies}
    assert len(group_ids) == 1
    assert group_ids != groups and None not in group_ids
    assert copies[0].caption == "trip"
    assert [c.file_id for c in copies] == [alice.message(i).file_id for i in ids]

    with pytest.raises(TelegramBadRequest, match="increasing"):
        await bot.copy_messages(bob.id, alice.id, list(reversed(ids)))


async def test_media_group_with_upload(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    photo_mid = await alice.send_photo()
    known = alice.message(photo_mid).file_id
    assert known is not None
    messages = await bot.send_media_group(
        alice.id,
        [
            InputMediaPhoto(media=known, caption="first"),
            InputMediaPhoto(media=BufferedInputFile(b"\x89PNG" * 100, filename="p.png")),
        ],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id is not None
    assert messages[0].media_group_id == messages[1].media_group_id
    assert messages[0].caption == "first"
    assert messages[1].photo is not None
    uploaded = messages[1].photo[-1]
    assert uploaded.file_id != known
    assert uploaded.file_size == 400

    document = await bot.send_document(alice.id, BufferedInputFile(b"abc", filename="notes.txt"), caption="doc")
    assert document.document is not None and document.document.file_name == "notes.txt"
    assert alice.inbox[-1].kind == "document"


async def test_edits_and_deletes(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
    sent = await bot.send_message(alice.id, "Searching...", reply_markup=markup)
    edited = await bot.edit_message_text(text="Found!", chat_id=alice.id, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "Found!" and edited.edit_date is not None
    stored = alice.message(sent.message_id)
    assert stored.text == "Found!"
    assert stored.edited and len(stored.edit_history) == 1
    assert stored.edit_history[0]["content"]["text"] == "Searching..."
    assert stored.reply_markup is None  # omitted reply_markup removes the keyboard

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(text="Found!", chat_id=alice.id, message_id=sent.message_id)

    user_mid = await alice.send_text("mine")
    with pytest.raises(TelegramBadRequest, match="can't be edited"):
        await bot.edit_message_text(text="x", chat_id=alice.id, message_id=user_mid)

    assert await bot.delete_message(alice.id, sent.message_id)
    assert stored.deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)

    await alice.edit_text(user_mid, "mine, edited")
    updates = await _drain(bot)
    edits = [u.edited_message for u in updates if u.edited_message]
    assert len(edits) == 1 and edits[0].text == "mine, edited" and edits[0].edit_date is not None


async def test_callback_query_and_answer(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Next", callback_data="next")]])
    sent = await bot.send_message(alice.id, "menu", reply_markup=markup)
    query_id = await alice.press_button(sent.message_id, "Next")
    forged_id = await alice.press(sent.message_id, "forged:data")
    updates = await _drain(bot)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["next", "forged:data"]
    assert isinstance(queries[0], CallbackQuery)
    assert queries[0].id == query_id
    assert isinstance(queries[0].message, Message)
    assert queries[0].message.message_id == sent.message_id

    assert await bot.answer_callback_query(query_id, text="Searching")
    answer = await alice.wait_for_callback_answer(query_id, timeout=1)
    assert answer.text == "Searching"
    assert alice.callback_answers == ["Searching"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    assert await bot.answer_callback_query(forged_id)
    assert alice.callback_answers == ["Searching", None]


async def test_block_gives_403_and_my_chat_member(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    await alice.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "are you there?")
    with pytest.raises(TelegramForbiddenError):
        await bot.copy_message(alice.id, alice.id, 1)
    updates = await _drain(bot)
    member = updates[0].my_chat_member
    assert member is not None
    assert isinstance(member.old_chat_member, ChatMemberMember)
    assert isinstance(member.new_chat_member, ChatMemberBanned)
    assert member.from_user.id == alice.id and member.chat.id == alice.id
    with pytest.raises(RuntimeError):
        await alice.send_text("blocked users can't write")

    await alice.unblock_bot()
    updates = await _drain(bot)
    member = updates[0].my_chat_member
    assert member is not None
    assert member.old_chat_member.status == "kicked" and member.new_chat_member.status == "member"
    assert (await bot.send_message(alice.id, "welcome back")).text == "welcome back"


# ------------------------------------------------------------------ faults


async def test_429_becomes_retry_after(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    emu.fail_next("copyMessage", 429, retry_after=3)
    mid = await alice.send_text("x")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.copy_message(alice.id, alice.id, mid)
    assert caught.value.retry_after == 3
    assert "retry after 3" in caught.value.message
    assert len(alice.inbox) == 0
    copied = await bot.copy_message(alice.id, alice.id, mid)
    assert alice.inbox[-1].message_id == copied.message_id
    assert emu.calls["copyMessage"] == 2 and emu.errors["copyMessage"] == 1


async def test_5xx_network_and_chat_scoped_faults(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    bob = await _started(emu, bot, "Bob")
    emu.fail_next("sendMessage", 500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice.id, "a")
    emu.fail_next("sendMessage", 502, chat_id=bob.id)
    assert (await bot.send_message(alice.id, "alice is fine")).text == "alice is fine"
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(bob.id, "b")
    emu.fail_next("sendMessage", 0)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "dropped")
    emu.fail_next("sendMessage", 500, apply=True)
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice.id, "stored anyway")
    assert [m.text for m in alice.inbox] == ["alice is fine", "stored anyway"]
    assert bob.inbox == []


async def test_delay(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    emu.set_delay("sendMessage", 0.3)
    started = time.perf_counter()
    await bot.send_message(alice.id, "slow")
    assert time.perf_counter() - started >= 0.3
    emu.set_delay("sendMessage", 0)
    started = time.perf_counter()
    await bot.send_message(alice.id, "fast")
    assert time.perf_counter() - started < 0.25


# ------------------------------------------------------- observation hooks


async def test_wait_helpers_hooks_and_log(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    seen: list[tuple[int, int]] = []
    unsubscribe = emu.on_bot_message(lambda m: seen.append((m.chat_id, m.message_id)))

    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(alice.id, "first")
        await bot.send_message(alice.id, "partner found")

    task = asyncio.create_task(later())
    found = await alice.wait_for(lambda m: "partner" in m.body, timeout=2)
    messages = await alice.wait_for_messages(2, timeout=1)
    await task
    assert found.text == "partner found"
    assert [m.text for m in messages] == ["first", "partner found"]
    assert seen == [(alice.id, m.message_id) for m in messages]
    assert [(r.method, r.chat_id) for r in emu.sent_log] == [("sendMessage", alice.id)] * 2
    assert emu.sent_log[0].at <= emu.sent_log[1].at
    unsubscribe()
    await bot.send_message(alice.id, "unseen")
    assert len(seen) == 2
    with pytest.raises(TimeoutError):
        await alice.wait_for_messages(10, timeout=0.1)


async def test_commands_by_scope_and_language_and_reactions(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    await bot.set_my_commands([BotCommand(command="next", description="Next partner")])
    await bot.set_my_commands([BotCommand(command="stop", description="Stoppen")], language_code="de")
    await bot.set_my_commands(
        [BotCommand(command="ban", description="Ban")], scope=BotCommandScopeChat(chat_id=alice.id)
    )
    assert [c.command for c in await bot.get_my_commands()] == ["next"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["stop"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=alice.id))] == ["ban"]
    assert await bot.set_my_commands([], language_code="de")
    assert await bot.get_my_commands(language_code="de") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Not A Command", description="x")])

    mid = await alice.send_text("nice")
    assert await bot.set_message_reaction(alice.id, mid, reaction=[ReactionTypeEmoji(emoji="👍")])
    assert alice.message(mid).reactions == [{"type": "emoji", "emoji": "👍"}]
    assert await bot.set_message_reaction(alice.id, mid, reaction=[])
    assert alice.message(mid).reactions == []


async def test_a_users_command_menu_is_found_as_telegram_finds_it(emu: BotAPIEmulator, bot: Bot) -> None:
    english, russian, german = (
        emu.user(first_name=n, language_code=c) for n, c in (("E", "en"), ("R", "ru"), ("G", "de"))
    )
    everyone = [BotCommand(command="start", description="Start")]
    await bot.set_my_commands(everyone)
    assert [c["command"] for c in commands_for(emu, german)] == ["start"]
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand(command="search", description="Find a partner")], scope=private)
    await bot.set_my_commands(
        [BotCommand(command="search", description="Найти собеседника")], scope=private, language_code="ru"
    )
    await bot.set_my_commands(
        [BotCommand(command="ban", description="Ban")], scope=BotCommandScopeChat(chat_id=english.id)
    )
    assert commands_for(emu, russian) == [{"command": "search", "description": "Найти собеседника"}]
    assert commands_for(emu, german) == [{"command": "search", "description": "Find a partner"}]
    assert [c["command"] for c in commands_for(emu, english)] == ["ban"]


async def test_reply_keyboards_from_send_and_copy_and_their_removal(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="⏭ Next"), KeyboardButton(text="⏹ Stop")]],
        is_persistent=True,
        resize_keyboard=True,
        input_field_placeholder="Say hi",
    )
    await bot.send_message(alice.id, "in a chat", reply_markup=keyboard)
    assert alice.reply_keyboard is not None
    assert alice.reply_keyboard["keyboard"] == [[{"text": "⏭ Next"}, {"text": "⏹ Stop"}]]
    assert alice.reply_keyboard["is_persistent"] is True and alice.reply_keyboard["resize_keyboard"] is True
    assert alice.reply_keyboard["input_field_placeholder"] == "Say hi"

    mid = await alice.send_text("copy me")
    search = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="🔎 Search")]], resize_keyboard=True)
    await bot.copy_message(alice.id, alice.id, mid, reply_markup=search)
    assert alice.reply_keyboard is not None
    assert alice.reply_keyboard["keyboard"] == [[{"text": "🔎 Search"}]]

    await bot.send_message(alice.id, "chat over", reply_markup=ReplyKeyboardRemove())
    assert alice.reply_keyboard is None
    with pytest.raises(TelegramBadRequest, match="keyboard"):
        await bot.send_message(
            alice.id, "empty", reply_markup=ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="")]])
        )


async def test_a_users_reaction_reaches_the_bot_only_when_it_asked_for_reactions(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    sent = await bot.send_message(alice.id, "how are you?")
    await alice.react(sent.message_id, "👍")
    assert await _drain(bot) == []  # not in the default allowed_updates, as on Telegram
    assert alice.message(sent.message_id).user_reactions == [{"type": "emoji", "emoji": "👍"}]

    await bot.get_updates(allowed_updates=["message", "message_reaction"], timeout=0)
    await alice.react(sent.message_id, "❤")
    await alice.react(sent.message_id, None)
    reactions = [u.message_reaction for u in await _drain(bot)]
    assert all(isinstance(r, MessageReactionUpdated) for r in reactions)
    changed, removed = reactions
    assert changed is not None and removed is not None
    assert changed.chat.id == alice.id and changed.message_id == sent.message_id
    assert changed.user is not None and changed.user.id == alice.id
    assert [r.model_dump(mode="json") for r in changed.old_reaction] == [{"type": "emoji", "emoji": "👍"}]
    assert [r.model_dump(mode="json") for r in changed.new_reaction] == [{"type": "emoji", "emoji": "❤"}]
    assert [r.model_dump(mode="json") for r in removed.old_reaction] == [{"type": "emoji", "emoji": "❤"}]
    assert removed.new_reaction == []
    assert alice.message(sent.message_id).user_reactions == []


async def test_the_bots_reaction_and_deletion_show_in_the_users_chat(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    mid = await alice.send_text("hello")
    before = alice.rev
    assert await bot.set_message_reaction(alice.id, mid, reaction=[ReactionTypeEmoji(emoji="🔥")])
    seen = alice.message(mid).to_dict()
    assert seen["reactions"] == [{"type": "emoji", "emoji": "🔥"}] and seen["rev"] > before
    with pytest.raises(TelegramBadRequest, match="REACTIONS_TOO_MANY|reaction"):
        await bot.set_message_reaction(
            alice.id, mid, reaction=[ReactionTypeEmoji(emoji="🔥"), ReactionTypeEmoji(emoji="👍")]
        )

    copy = await bot.copy_message(alice.id, alice.id, mid)
    assert await bot.delete_message(alice.id, copy.message_id)
    assert alice.message(copy.message_id).to_dict()["deleted"] is True


async def test_spoilers_and_caption_position_pass_through_on_media(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = await _started(emu, bot, "Alice")
    photo_mid = await alice.send_photo(caption="sea")
    file_id = alice.message(photo_mid).file_id
    assert file_id is not None
    photo = await bot.send_photo(alice.id, file_id, caption="blurred", has_spoiler=True, show_caption_above_media=True)
    assert photo.has_media_spoiler and photo.show_caption_above_media
    stored = alice.message(photo.message_id).content
    assert stored["has_media_spoiler"] is True and stored["show_caption_above_media"] is True

    album = await bot.send_media_group(
        alice.id,
        [InputMediaPhoto(media=file_id, has_spoiler=True), InputMediaPhoto(media=file_id, caption="two")],
    )
    assert [m.has_media_spoiler for m in album] == [True, None]

    above = await bot.copy_message(alice.id, alice.id, photo_mid, show_caption_above_media=True)
    assert alice.message(above.message_id).content["show_caption_above_media"] is True
    assert alice.message(above.message_id).caption == "sea"


async def test_a_restarted_page_server_gets_the_same_port() -> None:
    """Connections of the last run linger in TIME_WAIT; the new server must still get the port."""
    first = BotAPIEmulator(token=TOKEN)
    runner = await serve_page(first)
    port = first.port
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.get(f"{first.base_url}/_emu") as response:
                assert response.status == 200
        await first.stop()
        await runner.cleanup()  # the server closes the kept-alive connections: TIME_WAIT on its side
    second = BotAPIEmulator(token=TOKEN)
    runner = await serve_page(second, port=port)
    try:
        assert second.port == port
        async with aiohttp.ClientSession() as http, http.get(f"{second.base_url}/") as response:
            assert response.status == 200
    finally:
        await second.stop()
        await runner.cleanup()


# ------------------------------------------------------------------ webhook


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/hook"


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the timeout"
        await asyncio.sleep(0.01)


async def test_webhook_delivery_retry_and_ordering(emu: BotAPIEmulator, bot: Bot) -> None:
    received: list[dict[str, Any]] = []
    secrets_seen: set[str | None] = set()
    in_flight: dict[int, int] = defaultdict(int)
    max_in_flight: dict[int, int] = defaultdict(int)
    failed_once = False
    all_in = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        nonlocal failed_once
        update = await request.json()
        secrets_seen.add(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if not failed_once:
            failed_once = True
            return web.Response(status=500)
        chat_id = update["message"]["chat"]["id"]
        in_flight[chat_id] += 1
        max_in_flight[chat_id] = max(max_in_flight[chat_id], in_flight[chat_id])
        await asyncio.sleep(0.01)
        in_flight[chat_id] -= 1
        received.append(update)
        if len(received) == 10:
            all_in.set()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, url = await _serve(app)
    try:
        alice, bob = emu.user(first_name="Alice"), emu.user(first_name="Bob")
        assert await bot.set_webhook(url, secret_token="s3cr3t-token")
        for index in range(5):
            await alice.send_text(f"a{index}")
            await bob.send_text(f"b{index}")
        await asyncio.wait_for(all_in.wait(), timeout=5)
        # The hook has answered the tenth update, but the emulator counts it delivered only
        # once it has read that answer.
        await _until(lambda: emu.webhook.delivered == 10)

        assert secrets_seen == {"s3cr3t-token"}
        by_chat: dict[int, list[str]] = defaultdict(list)
        for update in received:
            by_chat[update["message"]["chat"]["id"]].append(update["message"]["text"])
        assert by_chat[alice.id] == [f"a{i}" for i in range(5)]
        assert by_chat[bob.id] == [f"b{i}" for i in range(5)]
        assert max(max_in_flight.values()) == 1
        assert emu.webhook.failed_attempts == 1 and emu.webhook.delivered == 10

        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.pending_update_count == 0
        assert info.last_error_message is not None and "500" in info.last_error_message

        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook()
        await alice.send_text("polling again")
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text for u in updates if u.message] == ["polling again"]
    finally:
        await emu.webhook.stop()
        await runner.cleanup()


async def test_webhook_reply_method_and_targets(emu: BotAPIEmulator, bot: Bot) -> None:
    hits: dict[str, list[int]] = {"one": [], "two": []}

    def make(name: str) -> web.Application:
        async def hook(request: web.Request) -> web.Response:
            update = await request.json()
            chat_id = update["message"]["chat"]["id"]
            hits[name].append(chat_id)
            # answering with a method call in the body, as aiogram can do
            return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": f"via {name}"})

        app = web.Application()
        app.router.add_post("/hook", hook)
        return app

    runner_one, url_one = await _serve(make("one"))
    runner_two, url_two = await _serve(make("two"))
    try:
        users = [emu.user(first_name=f"U{i}") for i in range(4)]
        await bot.set_webhook(url_one)
        emu.set_webhook_targets([url_one, url_two])
        for user in users:
            await user.send_text("hi")
            await user.send_text("again")
        for user in users:
            await user.wait_for_messages(2, timeout=5)
        for user in users:
            target = "one" if user.id % 2 == 0 else "two"
            assert hits[target].count(user.id) == 2
            assert [m.text for m in user.inbox] == [f"via {target}"] * 2
    finally:
        await emu.webhook.stop()
        await runner_one.cleanup()
        await runner_two.cleanup()


# ----------------------------------------------------------- HTTP user API


async def test_http_user_api_round_trip(emu: BotAPIEmulator, bot: Bot) -> None:
    base = f"{emu.base_url}/_emu"
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, **kwargs: Any) -> Any:
            async with http.request(method, base + path, **kwargs) as response:
                body = await response.json()
                assert body["ok"], body
                return body["result"]

        carol = await call("POST", "/users", json={"first_name": "Carol", "language_code": "ru"})
        uid = carol["id"]
        sent = await call("POST", f"/users/{uid}/send", json={"text": "hello bot"})
        updates = await bot.get_updates(timeout=0)
        assert updates[-1].message is not None
        assert updates[-1].message.text == "hello bot"
        assert updates[-1].message.from_user is not None
        assert updates[-1].message.from_user.language_code == "ru"

        waiting = asyncio.create_task(
            call("GET", f"/users/{uid}/messages", params={"after": sent["message_id"], "timeout": 5})
        )
        await asyncio.sleep(0.1)
        assert not waiting.done()
        markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Next", callback_data="n")]])
        reply = await bot.send_message(uid, "hi Carol", reply_markup=markup)
        chat = await asyncio.wait_for(waiting, timeout=2)
        assert [m["text"] for m in chat["messages"]] == ["hi Carol"]
        assert chat["messages"][0]["from_bot"] is True
        assert chat["messages"][0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Next"

        pressed = await call("POST", f"/users/{uid}/press", json={"message_id": reply.message_id, "text": "Next"})
        await bot.edit_message_text(text="edited", chat_id=uid, message_id=reply.message_id)
        await call("POST", f"/users/{uid}/send", json={"command": "/next", "args": "now"})
        await call("POST", f"/users/{uid}/send", json={"kind": "photo", "caption": "pic"})
        update_kinds = [u for u in await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)]
        assert update_kinds[0].callback_query is not None
        assert update_kinds[0].callback_query.data == "n"
        assert update_kinds[0].callback_query.id == pressed["callback_query_id"]
        assert update_kinds[1].message is not None and update_kinds[1].message.text == "/next now"
        assert update_kinds[2].message is not None and update_kinds[2].message.caption == "pic"
        await bot.answer_callback_query(pressed["callback_query_id"], text="ok")

        full = await call("GET", f"/users/{uid}/messages")
        assert [m["kind"] for m in full["messages"]] == ["text", "text", "text", "photo"]
        assert full["messages"][1]["text"] == "edited" and full["messages"][1]["edited"]
        answers = await call("GET", f"/users/{uid}/callback_answers")
        assert [a["text"] for a in answers] == ["ok"]

        blocked = await call("POST", f"/users/{uid}/block")
        assert blocked["blocked"] is True
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(uid, "hello?")
        stats = await call("GET", "/stats")
        assert stats["calls"]["sendMessage"] == 2 and stats["errors"]["sendMessage"] == 1

        async with http.get(f"{base}/users/1/messages") as response:
            assert response.status == 404
            assert (await response.json())["ok"] is False


# ------------------------------------------------- aiogram's own runtimes


async def test_aiogram_dispatcher_polling(emu: BotAPIEmulator, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"hi {message.from_user.first_name}, payload={message.text}")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer(f"got {query.data}")

    alice = emu.user(first_name="Alice")
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        await alice.send_command("/start", "ref42")
        reply = await alice.wait_for_text("hi Alice", timeout=5)
        assert reply.text == "hi Alice, payload=/start ref42"
        query_id = await alice.press(reply.message_id, "next")
        answer = await alice.wait_for_callback_answer(query_id, timeout=5)
        assert answer.text == "got next"
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, timeout=5)


async def test_aiogram_webhook_handler_answers_in_response(emu: BotAPIEmulator, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")  # sent back in the webhook response body

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="tok_1", handle_in_background=False).register(app, path="/hook")
    runner, url = await _serve(app)
    try:
        await bot.set_webhook(url, secret_token="tok_1")
        alice = emu.user(first_name="Alice")
        await alice.send_text("ping")
        await alice.send_text("pong")
        first = await alice.wait_for_text("echo: ping", timeout=5)
        second = await alice.wait_for_text("echo: pong", timeout=5)
        assert first.method == second.method == "sendMessage"
        assert first.message_id < second.message_id
        assert emu.webhook.failed_attempts == 0
    finally:
        await emu.webhook.stop()
        await runner.cleanup()
