"""The relay: what one partner sends reaches the other as a copy, never a forward."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import EditMessageCaption
from aiogram.methods import EditMessageText
from aiogram.methods import ForwardMessage
from aiogram.methods import ForwardMessages
from aiogram.methods import SendMediaGroup
from aiogram.methods import SendMessage
from aiogram.types import InputMediaPhoto
from aiogram.types import MessageEntity
from aiogram.types import Update

from roulette.bot.albums import ALBUM_SETTLE_SECONDS
from roulette.bot.app import App
from roulette.domain import Message
from tests.support.flows import HINT
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import album_updates
from tests.support.telegram_double import animation
from tests.support.telegram_double import audio
from tests.support.telegram_double import contact
from tests.support.telegram_double import dice
from tests.support.telegram_double import document
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import location
from tests.support.telegram_double import message_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import poll
from tests.support.telegram_double import replied
from tests.support.telegram_double import sticker
from tests.support.telegram_double import story
from tests.support.telegram_double import tg_user
from tests.support.telegram_double import video
from tests.support.telegram_double import video_note
from tests.support.telegram_double import voice

ALICE, BOB = tg_user(4001, first_name="Alice"), tg_user(4002, first_name="Bobby")


@pytest.fixture(autouse=True)
def never_forwarded(telegram: FakeTelegram) -> Iterator[None]:
    """A forward shows who sent it: whatever a test does, nothing is ever forwarded."""
    yield
    assert not telegram.of_type(ForwardMessage) and not telegram.of_type(ForwardMessages)


@pytest.fixture
async def chat_id(app: App, telegram: FakeTelegram) -> int:
    """Alice and Bob are talking; the Bot API log starts empty."""
    chat = await start_chat(app, ALICE, BOB)
    telegram.clear()
    return chat


def message_id_of(update: Update) -> int:
    assert update.message is not None
    return update.message.message_id


async def history(app: App, chat_id: int) -> list[Message]:
    return await app.usecases.get_chat_history(chat_id)


async def copied_history(app: App, chat_id: int, expected: int, timeout: float = 5.0) -> list[Message]:
    """The chat's history once `expected` messages have been copied (the album is copied in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        stored = await history(app, chat_id)
        if sum(item.relayed_message_id is not None for item in stored) >= expected:
            return stored
        assert asyncio.get_running_loop().time() < deadline, "the album was never copied"
        await asyncio.sleep(0.05)


def deliveries_to(telegram: FakeTelegram, chat_id: int) -> list[Any]:
    """What reached a user's chat as a message: copies, album copies and sent texts."""
    return [r for r in telegram.sent_to(chat_id) if isinstance(r, CopyMessage | CopyMessages | SendMessage)]


async def test_a_text_is_copied_with_its_formatting(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    bold = MessageEntity(type="bold", offset=6, length=3)
    hello = message_update(ALICE, "hello you", entities=[bold])
    await app.dispatcher.feed_update(app.bot, hello)

    [copy] = deliveries_to(telegram, BOB.id)
    assert isinstance(copy, CopyMessage)
    assert (copy.from_chat_id, copy.message_id) == (ALICE.id, message_id_of(hello))
    assert copy.caption is None and copy.caption_entities is None  # Telegram keeps the original's entities
    assert not telegram.sent_to(ALICE.id)
    [stored] = await history(app, chat_id)
    assert stored.content.text == "hello you" and stored.relayed_message_id is not None


async def test_every_kind_of_media_is_copied(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    sent = [
        message_update(ALICE, photo=photo(), caption="a photo"),
        message_update(ALICE, video=video()),
        message_update(ALICE, animation=animation(), document=document("gif-as-document")),
        message_update(ALICE, voice=voice()),
        message_update(ALICE, video_note=video_note()),
        message_update(ALICE, audio=audio()),
        message_update(ALICE, document=document()),
        message_update(ALICE, sticker=sticker()),
        message_update(ALICE, dice=dice()),
        message_update(ALICE, poll=poll()),
    ]
    for update in sent:
        await app.dispatcher.feed_update(app.bot, update)

    copies = deliveries_to(telegram, BOB.id)
    assert all(isinstance(copy, CopyMessage) and copy.from_chat_id == ALICE.id for copy in copies)
    assert [copy.message_id for copy in copies] == [message_id_of(update) for update in sent]
    assert [item.content.kind.value for item in await history(app, chat_id)] == [
        "photo", "video", "animation", "voice", "video_note", "audio", "document", "sticker", "dice", "poll",
    ]  # fmt: skip
    assert not telegram.sent_to(ALICE.id)


async def test_a_text_mentioning_someone_by_id_is_sent_without_that_link(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    mention = MessageEntity(type="text_mention", offset=3, length=5, user=tg_user(4999, first_name="Ghost"))
    bold = MessageEntity(type="bold", offset=13, length=4)
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "hi Ghost, see this", entities=[mention, bold]))

    [sent] = deliveries_to(telegram, BOB.id)
    assert isinstance(sent, SendMessage)
    assert sent.text == "hi Ghost, see this" and sent.parse_mode is None
    assert [(entity.type, entity.offset, entity.length) for entity in sent.entities or []] == [("bold", 13, 4)]
    assert "4999" not in repr(sent)


async def test_a_caption_mentioning_someone_by_id_is_copied_without_that_link(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    mention = MessageEntity(type="text_mention", offset=5, length=5, user=tg_user(4999, first_name="Ghost"))
    pic = message_update(ALICE, photo=photo(), caption="look Ghost", caption_entities=[mention])
    await app.dispatcher.feed_update(app.bot, pic)

    [copy] = deliveries_to(telegram, BOB.id)
    assert isinstance(copy, CopyMessage) and copy.message_id == message_id_of(pic)
    assert copy.caption == "look Ghost" and copy.caption_entities == [] and copy.parse_mode is None


ACCOUNT_LINKS = [
    "tg://user?id=4999",
    "TG://openmessage?user_id=4999",
    " tg:%2F%2Fuser%3Fid%3D4999",
    "https://t.me/@id4999",
]


@pytest.mark.parametrize("url", ACCOUNT_LINKS)
async def test_a_text_linking_to_an_account_by_id_is_sent_without_that_link(
    app: App, telegram: FakeTelegram, chat_id: int, url: str
) -> None:
    account = MessageEntity(type="text_link", offset=0, length=5, url=url)
    site = MessageEntity(type="text_link", offset=10, length=4, url="https://example.com/")
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "click here, site", entities=[account, site]))

    [sent] = deliveries_to(telegram, BOB.id)
    assert isinstance(sent, SendMessage) and sent.text == "click here, site"
    assert [(entity.type, entity.url) for entity in sent.entities or []] == [("text_link", "https://example.com/")]
    assert "4999" not in repr(sent)


async def test_a_caption_linking_to_an_account_by_id_is_copied_without_that_link(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    account = MessageEntity(type="text_link", offset=0, length=4, url="tg://openmessage?user_id=4999")
    pic = message_update(ALICE, photo=photo(), caption="look", caption_entities=[account])
    await app.dispatcher.feed_update(app.bot, pic)

    [copy] = deliveries_to(telegram, BOB.id)
    assert isinstance(copy, CopyMessage) and copy.caption == "look" and copy.caption_entities == []
    assert "4999" not in repr(copy)


async def test_an_album_whose_caption_mentions_someone_stays_an_album_without_that_link(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    mention = MessageEntity(type="text_mention", offset=5, length=5, user=tg_user(4999, first_name="Ghost"))
    bold = MessageEntity(type="bold", offset=0, length=4)
    album = album_updates(ALICE, 3, "trip", caption="with Ghost", caption_entities=[bold, mention])
    for update in album:
        await app.dispatcher.feed_update(app.bot, update)
    stored = await copied_history(app, chat_id, expected=3)

    [group] = deliveries_to(telegram, BOB.id) + telegram.of_type(SendMediaGroup)
    assert isinstance(group, SendMediaGroup) and group.chat_id == BOB.id
    assert all(isinstance(item, InputMediaPhoto) for item in group.media)
    assert [item.media for item in group.media] == ["trip-0", "trip-1", "trip-2"]
    assert group.media[0].caption == "with Ghost" and group.media[0].parse_mode is None
    assert [(entity.type, entity.offset) for entity in group.media[0].caption_entities or []] == [("bold", 0)]
    assert group.protect_content
    assert "4999" not in repr(group) and "Ghost" not in repr(group.media[0].caption_entities)
    assert all(item.relayed_message_id is not None for item in stored)


async def test_an_edit_that_adds_a_link_to_an_account_reaches_the_partner_without_it(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    typo = message_update(ALICE, "helo")
    pic = message_update(ALICE, photo=photo(), caption="a view")
    await app.dispatcher.feed_update(app.bot, typo)
    await app.dispatcher.feed_update(app.bot, pic)
    account = MessageEntity(type="text_link", offset=0, length=5, url="tg://user?id=4999")
    mention = MessageEntity(type="text_mention", offset=0, length=1, user=tg_user(4999, first_name="Ghost"))

    await app.dispatcher.feed_update(app.bot, edited_update(ALICE, message_id_of(typo), "hello", entities=[account]))
    await app.dispatcher.feed_update(
        app.bot, edited_update(ALICE, message_id_of(pic), photo=photo(), caption="a view", caption_entities=[mention])
    )

    [text_edit] = telegram.of_type(EditMessageText)
    [caption_edit] = telegram.of_type(EditMessageCaption)
    assert text_edit.text == "hello" and text_edit.entities == []
    assert caption_edit.caption == "a view" and caption_edit.caption_entities == []
    assert "4999" not in repr(text_edit) + repr(caption_edit)


async def test_a_poll_whose_explanation_links_to_an_account_is_refused_and_not_copied(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    account = MessageEntity(type="text_link", offset=0, length=3, url="tg://user?id=4999")
    quiz = poll().model_copy(update={"type": "quiz", "explanation": "see him", "explanation_entities": [account]})
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, poll=quiz))

    assert telegram.texts_to(ALICE.id) == [
        "This message links to someone's Telegram account, so it can't be sent to your partner."
    ]
    assert not telegram.sent_to(BOB.id)
    assert await history(app, chat_id) == []


@pytest.mark.parametrize("personal", [{"contact": contact()}, {"location": location()}], ids=["contact", "location"])
async def test_contacts_and_locations_are_refused_with_a_reason(
    app: App, telegram: FakeTelegram, chat_id: int, personal: dict[str, Any]
) -> None:
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, **personal))

    assert telegram.texts_to(ALICE.id) == [
        "Contacts and locations are not sent to your partner, to keep you both anonymous."
    ]
    assert not telegram.sent_to(BOB.id)
    assert await history(app, chat_id) == []


async def test_a_kind_of_message_the_relay_does_not_know_is_refused(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, story=story()))

    assert telegram.texts_to(ALICE.id) == ["This kind of message can't be sent to your partner."]
    assert not telegram.sent_to(BOB.id)
    assert await history(app, chat_id) == []


async def test_replies_point_at_the_right_message_in_the_partners_chat(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    feed = app.dispatcher.feed_update
    alices_first, bobs_first = message_update(ALICE, "first from Alice"), message_update(BOB, "first from Bob")
    await feed(app.bot, alices_first)
    await feed(app.bot, bobs_first)
    first, second = await history(app, chat_id)
    assert first.relayed_message_id is not None and second.relayed_message_id is not None
    telegram.clear()

    # Alice replies to her own message: Bob sees the reply on his copy of it
    await feed(
        app.bot, message_update(ALICE, "me again", reply_to_message=replied(ALICE.id, message_id_of(alices_first)))
    )
    # Alice replies to Bob's message, which she sees as our copy: Bob sees the reply on his original
    await feed(app.bot, message_update(ALICE, "to you", reply_to_message=replied(ALICE.id, second.relayed_message_id)))

    # and a reply to something from before this chat is a plain message
    await feed(app.bot, message_update(ALICE, "hm", reply_to_message=replied(ALICE.id, 1)))

    own_reply, partner_reply, unrelated_reply = deliveries_to(telegram, BOB.id)
    assert own_reply.reply_parameters.message_id == first.relayed_message_id
    assert partner_reply.reply_parameters.message_id == message_id_of(bobs_first)
    assert unrelated_reply.reply_parameters is None


async def test_an_edit_is_applied_to_the_partners_copy(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    typo = message_update(ALICE, "helo")
    await app.dispatcher.feed_update(app.bot, typo)
    [stored] = await history(app, chat_id)

    await app.dispatcher.feed_update(app.bot, edited_update(ALICE, message_id_of(typo), "hello"))

    [edit] = telegram.of_type(EditMessageText)
    assert (edit.chat_id, edit.message_id, edit.text) == (BOB.id, stored.relayed_message_id, "hello")
    [after] = await history(app, chat_id)
    assert after.content.text == "hello"


async def test_an_album_is_copied_as_one_album_in_the_order_it_was_sent(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    album = album_updates(ALICE, 3, "holiday")
    for update in (album[1], album[2], album[0]):  # Telegram may deliver them out of order
        await app.dispatcher.feed_update(app.bot, update)
    assert not deliveries_to(telegram, BOB.id)  # still waiting for the rest of the album

    await asyncio.sleep(ALBUM_SETTLE_SECONDS)
    stored = await copied_history(app, chat_id, expected=3)

    [copy] = deliveries_to(telegram, BOB.id)
    assert isinstance(copy, CopyMessages)
    assert (copy.from_chat_id, copy.message_ids) == (ALICE.id, [message_id_of(update) for update in album])
    assert len(stored) == 3


async def test_a_message_after_an_album_sends_the_album_first(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    album = album_updates(ALICE, 3, "pets")
    after = message_update(ALICE, "cute, right?")
    for update in [*album, after]:
        await app.dispatcher.feed_update(app.bot, update)

    album_copy, text_copy = deliveries_to(telegram, BOB.id)
    assert isinstance(album_copy, CopyMessages) and isinstance(text_copy, CopyMessage)
    assert album_copy.message_ids == [message_id_of(update) for update in album]
    assert text_copy.message_id == message_id_of(after)


async def test_outside_a_chat_a_message_reaches_nobody_and_gets_the_hint(
    app: App, telegram: FakeTelegram, chat_id: int
) -> None:
    await app.dispatcher.feed_update(app.bot, message_update(BOB, "/stop"))
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "wait, come back"))

    assert telegram.last_text_to(ALICE.id) == HINT
    assert not telegram.copies_to(BOB.id)


async def test_the_same_update_delivered_twice_is_relayed_once(app: App, telegram: FakeTelegram, chat_id: int) -> None:
    hello = message_update(ALICE, "only once")
    await app.dispatcher.feed_update(app.bot, hello)
    await app.dispatcher.feed_update(app.bot, hello)

    assert len(deliveries_to(telegram, BOB.id)) == 1
    assert len(await history(app, chat_id)) == 1
    assert not telegram.sent_to(ALICE.id)
