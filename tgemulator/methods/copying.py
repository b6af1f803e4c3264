"""The bot copies users' messages: copyMessage, copyMessages (never forwardMessage: it reveals the sender)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .. import params
from ..models import CAPTION_KINDS
from ..models import EmuMessage
from ..models import JSONDict
from ..models import bad_request
from .outgoing import caption_fields
from .outgoing import known_chat
from .outgoing import reachable_chat
from .outgoing import store_bot
from .registry import Files
from .registry import MethodTable

if TYPE_CHECKING:
    from ..server import BotAPIEmulator

table = MethodTable()


def copied_content(
    emu: BotAPIEmulator, source: EmuMessage, p: params.CopyMessage | None, *, remove_caption: bool = False
) -> JSONDict:
    """What a copy shows: the source's content, a fresh poll, and the caption the bot asked for."""
    content = dict(source.content)
    poll = content.get("poll")
    if isinstance(poll, dict):
        content["poll"] = {
            **poll,
            "id": emu.new_poll_id(),
            "total_voter_count": 0,
            "options": [{**option, "voter_count": 0} for option in poll.get("options", [])],
        }
    if source.kind in CAPTION_KINDS:
        replaced = p is not None and p.caption is not None
        if remove_caption or replaced:
            content.pop("caption", None)
            content.pop("caption_entities", None)
        if p is not None and p.show_caption_above_media is not None:
            content.pop("show_caption_above_media", None)
        if p is not None:
            content.update(caption_fields(p))
    return content


@table.method("copyMessage", params.CopyMessage)
async def copy_message(emu: BotAPIEmulator, p: params.CopyMessage, files: Files) -> JSONDict:
    chat = reachable_chat(emu, p.chat_id)
    source = known_chat(emu, p.from_chat_id).messages.get(p.message_id)
    if source is None or source.deleted:
        raise bad_request("message to copy not found")
    content = copied_content(emu, source, p)
    message = store_bot(emu, chat, content, p, "copyMessage", copied_from=(source.chat_id, source.message_id))
    return {"message_id": message.message_id}


@table.method("copyMessages", params.CopyMessages)
async def copy_messages(emu: BotAPIEmulator, p: params.CopyMessages, files: Files) -> list[JSONDict]:
    chat = reachable_chat(emu, p.chat_id)
    source_chat = known_chat(emu, p.from_chat_id)
    sources = [
        message
        for number in p.message_ids
        if (message := source_chat.messages.get(number)) is not None and not message.deleted
    ]
    if not sources:
        raise bad_request("message to copy not found")
    # an album stays an album: copies of its items share a new media group id
    group_sizes = Counter(m.media_group_id for m in sources if m.media_group_id)
    new_groups = {group: emu.new_media_group_id() for group, size in group_sizes.items() if size >= 2}
    return [
        {
            "message_id": store_bot(
                emu,
                chat,
                copied_content(emu, source, None, remove_caption=p.remove_caption),
                p,
                "copyMessages",
                media_group_id=new_groups.get(source.media_group_id or ""),
                reply_to=None,
                reply_markup=None,
                copied_from=(source.chat_id, source.message_id),
            ).message_id
        }
        for source in sources
    ]
