"""The bot changes what it sent: editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import params
from ..models import CAPTION_KINDS
from ..models import EmuMessage
from ..models import JSONDict
from ..models import bad_request
from .outgoing import caption_fields
from .outgoing import existing_message
from .outgoing import known_chat
from .outgoing import markup
from .outgoing import reachable_chat
from .registry import Files
from .registry import MethodTable
from .sending import text_content

if TYPE_CHECKING:
    from ..server import BotAPIEmulator
    from ..users import SimUser

table = MethodTable()

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def editable(emu: BotAPIEmulator, p: params.EditMessage) -> tuple[SimUser, EmuMessage]:
    if p.chat_id is None:
        raise bad_request("inline message not found" if p.inline_message_id else "chat_id is empty")
    chat = reachable_chat(emu, p.chat_id)
    if p.message_id is None:
        raise bad_request("message identifier is not specified")
    message = existing_message(chat, p.message_id, "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def edited_markup(message: EmuMessage, p: params.EditMessage) -> JSONDict | None:
    """An edit without ``reply_markup`` drops an inline keyboard but never a reply keyboard."""
    current = message.reply_markup
    if p.reply_markup is None and current is not None and "inline_keyboard" not in current:
        return current
    return markup(p.reply_markup)


def apply_edit(chat: SimUser, message: EmuMessage, content: JSONDict, p: params.EditMessage) -> JSONDict:
    """The new content and keyboard; an edit that changes neither is refused, as Telegram does."""
    new_markup = edited_markup(message, p)
    if content == message.content and new_markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    chat.replace_content(message, content, new_markup)
    return message.to_api()


@table.method("editMessageText", params.EditMessageText)
async def edit_message_text(emu: BotAPIEmulator, p: params.EditMessageText, files: Files) -> JSONDict:
    chat, message = editable(emu, p)
    if "text" not in message.content:
        raise bad_request("there is no text in the message to edit")
    content = text_content(p)
    if "link_preview_options" not in content and "link_preview_options" in message.content:
        content["link_preview_options"] = message.content["link_preview_options"]
    return apply_edit(chat, message, content, p)


@table.method("editMessageCaption", params.EditMessageCaption)
async def edit_message_caption(emu: BotAPIEmulator, p: params.EditMessageCaption, files: Files) -> JSONDict:
    chat, message = editable(emu, p)
    if message.kind not in CAPTION_KINDS:
        raise bad_request("there is no caption in the message to edit")
    dropped = {"caption", "caption_entities"}
    if p.show_caption_above_media is not None:
        dropped.add("show_caption_above_media")
    content = {k: v for k, v in message.content.items() if k not in dropped}
    content.update(caption_fields(p))
    return apply_edit(chat, message, content, p)


@table.method("editMessageReplyMarkup", params.EditMessage)
async def edit_message_reply_markup(emu: BotAPIEmulator, p: params.EditMessage, files: Files) -> JSONDict:
    chat, message = editable(emu, p)
    new_markup = edited_markup(message, p)
    if new_markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    chat.replace_content(message, None, new_markup, mark_edited=False)
    return message.to_api()


@table.method("deleteMessage", params.MessageParams)
async def delete_message(emu: BotAPIEmulator, p: params.MessageParams, files: Files) -> bool:
    chat = known_chat(emu, p.chat_id)
    message = existing_message(chat, p.message_id, "message to delete not found")
    message.deleted = True
    chat.touch(message)
    return True
