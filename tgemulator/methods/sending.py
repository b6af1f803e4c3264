"""The bot sends: sendMessage, sendPhoto and its siblings, sendMediaGroup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import params
from ..files import media_content
from ..models import CAPTION_KINDS
from ..models import JSONDict
from ..models import bad_request
from .outgoing import TEXT_LIMIT
from .outgoing import caption_fields
from .outgoing import format_body
from .outgoing import input_file
from .outgoing import reachable_chat
from .outgoing import reply_target
from .outgoing import store_bot
from .registry import Files
from .registry import Handler
from .registry import MethodTable

if TYPE_CHECKING:
    from ..server import BotAPIEmulator

table = MethodTable()

#: Kinds whose media Telegram can blur (``has_spoiler``).
SPOILER_KINDS = frozenset({"photo", "video", "animation"})


def text_content(p: params.SendMessage | params.EditMessageText) -> JSONDict:
    """Text, entities and explicit link preview options of sendMessage / editMessageText."""
    if not p.text:
        raise bad_request("message text is empty")
    plain, found = format_body(p.text, p.parse_mode, p.entities, limit=TEXT_LIMIT)
    if not plain:
        raise bad_request("message text is empty")
    content: JSONDict = {"text": plain}
    if found:
        content["entities"] = found
    if p.link_preview_options:
        content["link_preview_options"] = p.link_preview_options
    return content


@table.method("sendMessage", params.SendMessage)
async def send_message(emu: BotAPIEmulator, p: params.SendMessage, files: Files) -> JSONDict:
    chat = reachable_chat(emu, p.chat_id)
    content = text_content(p)
    if "link_preview_options" not in content and p.disable_web_page_preview:
        content["link_preview_options"] = {"is_disabled": True}
    return store_bot(emu, chat, content, p, "sendMessage").to_api()


def _media_sender(kind: str, method: str) -> Handler:
    async def send_media(emu: BotAPIEmulator, p: params.SendMedia, files: Files) -> JSONDict:
        chat = reachable_chat(emu, p.chat_id)
        media = input_file(emu, kind, p.media(kind), files, kind)
        if kind == "sticker" and p.emoji and isinstance(media, dict):
            media["emoji"] = p.emoji
        content = media_content(kind, media)
        if kind in CAPTION_KINDS:
            content.update(caption_fields(p))
        if kind in SPOILER_KINDS and p.has_spoiler:
            content["has_media_spoiler"] = True
        return store_bot(emu, chat, content, p, method).to_api()

    return send_media


for _kind, _method in (
    ("photo", "sendPhoto"),
    ("video", "sendVideo"),
    ("animation", "sendAnimation"),
    ("voice", "sendVoice"),
    ("video_note", "sendVideoNote"),
    ("audio", "sendAudio"),
    ("document", "sendDocument"),
    ("sticker", "sendSticker"),
):
    table.method(_method, params.SendMedia)(_media_sender(_kind, _method))


@table.method("sendMediaGroup", params.SendMediaGroup)
async def send_media_group(emu: BotAPIEmulator, p: params.SendMediaGroup, files: Files) -> list[JSONDict]:
    chat = reachable_chat(emu, p.chat_id)
    contents: list[JSONDict] = []
    for item in p.media:
        content = media_content(item.type, input_file(emu, item.type, item.media, files, "media"))
        content.update(caption_fields(item))
        if item.type in SPOILER_KINDS and item.has_spoiler:
            content["has_media_spoiler"] = True
        contents.append(content)
    reply_to = reply_target(chat, p)
    group_id = emu.new_media_group_id()
    return [
        store_bot(
            emu, chat, content, p, "sendMediaGroup", media_group_id=group_id, reply_to=reply_to, reply_markup=None
        ).to_api()
        for content in contents
    ]
