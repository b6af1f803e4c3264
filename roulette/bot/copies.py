"""Building what the partner receives, under the one rule of roulette/anonymity.py.

A message is copied verbatim (copyMessage, copyMessages) only when the rule removes nothing
from it: a copy carries the original's entities, so when something must go, the text, caption
or album is sent again from its parts.
"""

from __future__ import annotations

import logging

from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import EditMessageCaption
from aiogram.methods import EditMessageText
from aiogram.methods import SendMediaGroup
from aiogram.methods import SendMessage
from aiogram.types import InputMediaAudio
from aiogram.types import InputMediaDocument
from aiogram.types import InputMediaPhoto
from aiogram.types import InputMediaVideo
from aiogram.types import Message
from aiogram.types import MessageEntity
from aiogram.types import ReplyParameters

from roulette.anonymity import AlbumItem
from roulette.anonymity import outgoing
from roulette.anonymity import outgoing_album
from roulette.bot.delivery import Courier

log = logging.getLogger(__name__)

MediaGroupItem = InputMediaAudio | InputMediaDocument | InputMediaPhoto | InputMediaVideo


def album_item_of(message: Message) -> AlbumItem[MessageEntity] | None:
    """The parts of an album message needed to send it again (Telegram albums hold these four kinds)."""
    spoiler = bool(message.has_media_spoiler)
    caption, entities = message.caption, message.caption_entities
    if message.photo:
        return AlbumItem("photo", message.photo[-1].file_id, caption, entities, spoiler)
    for kind, media in (("video", message.video), ("audio", message.audio), ("document", message.document)):
        if media is not None:
            return AlbumItem(kind, media.file_id, caption, entities, spoiler and kind == "video")
    return None


async def send_copy(
    message: Message,
    partner_id: int,
    reply_parameters: ReplyParameters | None,
    courier: Courier,
    protect_content: bool,
) -> int | None:
    """Copy one message to the partner; the copy's id, or None if the partner blocked the bot."""
    if message.text is not None:
        text = outgoing(message.text, message.entities)
        if text.cleaned:
            sent = await courier.send(
                SendMessage(
                    chat_id=partner_id,
                    text=message.text,
                    entities=text.entities,
                    parse_mode=None,
                    reply_parameters=reply_parameters,
                    protect_content=protect_content,
                ),
                recipient=partner_id,
            )
            return sent.message_id if sent is not None else None
    copy = CopyMessage(
        chat_id=partner_id,
        from_chat_id=message.chat.id,
        message_id=message.message_id,
        reply_parameters=reply_parameters,
        protect_content=protect_content,
    )
    caption = outgoing(message.caption, message.caption_entities)
    if caption.cleaned:
        copy.caption = caption.text
        copy.caption_entities = caption.entities
        copy.parse_mode = None
    copied = await courier.send(copy, recipient=partner_id)
    return copied.message_id if copied is not None else None


async def send_album(
    sender_id: int,
    partner_id: int,
    source_ids: list[int],
    items: list[AlbumItem[MessageEntity] | None],
    courier: Courier,
    protect_content: bool,
) -> list[int] | None:
    """An album as one album: the partner-side ids in order, or None if nothing was delivered."""
    known = [item for item in items if item is not None]
    cleaned_items, cleaned = outgoing_album(known)
    # An item without its parts (an album flushed after a crash: caption entities are not kept)
    # has a caption nobody can check, so an album with one goes without captions.
    unchecked = len(known) != len(items)
    if not cleaned or unchecked:
        if cleaned:  # never reached with Telegram's albums; without the parts, the captions can't be sent
            log.error("an album with a caption to clean has items of unknown kinds; the captions are dropped")
        copies = await courier.send(
            CopyMessages(
                chat_id=partner_id,
                from_chat_id=sender_id,
                message_ids=source_ids,
                protect_content=protect_content,
                remove_caption=(cleaned or unchecked) or None,
            ),
            recipient=partner_id,
        )
        return [copy.message_id for copy in copies] if copies is not None else None
    sent = await courier.send(
        SendMediaGroup(
            chat_id=partner_id, media=[_input_media(item) for item in cleaned_items], protect_content=protect_content
        ),
        recipient=partner_id,
    )
    return [message.message_id for message in sent] if sent is not None else None


def _input_media(item: AlbumItem[MessageEntity]) -> MediaGroupItem:
    entities = list(item.caption_entities) if item.caption_entities is not None else None
    if item.kind in ("photo", "video"):
        spoilable = InputMediaPhoto if item.kind == "photo" else InputMediaVideo
        return spoilable(
            media=item.file_id,
            caption=item.caption,
            caption_entities=entities,
            parse_mode=None,
            has_spoiler=item.has_spoiler or None,
        )
    media_type = InputMediaAudio if item.kind == "audio" else InputMediaDocument
    return media_type(media=item.file_id, caption=item.caption, caption_entities=entities, parse_mode=None)


async def send_edit(message: Message, partner_id: int, copy_id: int, courier: Courier) -> None:
    """Apply an edit of text or caption to the partner's copy, under the same rule."""
    edit: EditMessageText | EditMessageCaption
    if message.text is not None:
        text = outgoing(message.text, message.entities)
        edit = EditMessageText(
            chat_id=partner_id, message_id=copy_id, text=message.text, entities=text.entities, parse_mode=None
        )
    else:
        caption = outgoing(message.caption, message.caption_entities)
        edit = EditMessageCaption(
            chat_id=partner_id,
            message_id=copy_id,
            caption=caption.text,
            caption_entities=caption.entities,
            parse_mode=None,
        )
    await courier.send(edit, recipient=partner_id)
