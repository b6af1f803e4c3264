"""What the bot's outgoing messages share: the chat they go to, their text, their files, and storing them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from typing import Any

from aiogram.types import MessageEntity

from .. import params
from ..chat import UNSET
from ..models import ApiError
from ..models import EmuMessage
from ..models import JSONDict
from ..models import SentRecord
from ..models import bad_request
from ..text import EntityParseError
from ..text import format_text
from ..text import utf16_len
from .registry import Files

if TYPE_CHECKING:
    from ..server import BotAPIEmulator
    from ..users import SimUser

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def known_chat(emu: BotAPIEmulator, chat_id: int | None) -> SimUser:
    if chat_id is None:
        raise bad_request("chat_id is empty")
    user = emu.find_user(chat_id)
    if user is None:
        raise bad_request("chat not found")
    return user


def existing_message(chat: SimUser, message_id: int, missing: str) -> EmuMessage:
    """A message of the chat that is not deleted; Telegram's `missing` error otherwise."""
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(missing)
    return message


def reachable_chat(emu: BotAPIEmulator, chat_id: int) -> SimUser:
    """A chat the bot may write to now (403 in Telegram's words otherwise)."""
    user = known_chat(emu, chat_id)
    if user.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if emu.config.require_start and not user.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return user


def format_body(
    text: str, parse_mode: str | None, entities: list[MessageEntity] | None, *, limit: int
) -> tuple[str, list[JSONDict]]:
    """Text or caption after the server-side pipeline (markup, automatic entities, stripping)."""
    explicit = None if entities is None else [params.dump(entity) for entity in entities]
    try:
        plain, found = format_text(text, parse_mode, explicit)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    except LookupError:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}") from None
    if utf16_len(plain) > limit:
        raise bad_request("message caption is too long" if limit == CAPTION_LIMIT else "message is too long")
    return plain, found


def caption_fields(p: params.CaptionFields) -> JSONDict:
    fields: JSONDict = {}
    if p.caption:
        plain, found = format_body(p.caption, p.parse_mode, p.caption_entities, limit=CAPTION_LIMIT)
        if plain:
            fields["caption"] = plain
        if found:
            fields["caption_entities"] = found
    if p.show_caption_above_media:
        fields["show_caption_above_media"] = True
    return fields


def markup(value: Any) -> JSONDict | None:
    return None if value is None else params.dump(value)


def reply_target(chat: SimUser, p: params.Sending) -> EmuMessage | None:
    """The message answered to (``reply_parameters`` or the older ``reply_to_message_id``)."""
    allow = p.allow_sending_without_reply
    message_id = p.reply_to_message_id
    other_chat = False
    if p.reply_parameters is not None:
        message_id = p.reply_parameters.message_id
        allow = bool(p.reply_parameters.allow_sending_without_reply or allow)
        other_chat = p.reply_parameters.chat_id not in (None, chat.id, str(chat.id))
    if message_id is None:
        return None
    target = None if other_chat else chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return target


def store_bot(
    emu: BotAPIEmulator,
    chat: SimUser,
    content: JSONDict,
    p: params.Sending | params.CopyMessages,
    method: str,
    *,
    media_group_id: str | None = None,
    reply_to: EmuMessage | None | Any = UNSET,
    reply_markup: JSONDict | None | Any = UNSET,
    copied_from: tuple[int, int] | None = None,
) -> EmuMessage:
    """Store a message the bot sent, log it and tell the ``on_bot_message`` subscribers."""
    if reply_markup is UNSET:
        reply_markup = markup(p.reply_markup) if isinstance(p, params.Sending) else None
    if reply_to is UNSET:
        reply_to = reply_target(chat, p) if isinstance(p, params.Sending) else None
    message = chat.store_message(
        from_bot=True,
        content=content,
        method=method,
        reply_to=reply_to,
        reply_markup=reply_markup,
        protect_content=p.protect_content,
        media_group_id=media_group_id,
        copied_from=copied_from,
    )
    emu.sent_log.append(SentRecord(method, chat.id, message.message_id, message.stored_at))
    for hook in list(emu.bot_message_hooks):
        try:
            hook(message)
        except Exception:
            logger.exception("on_bot_message callback failed")
    return message


def input_file(emu: BotAPIEmulator, kind: str, value: Any, files: Files, field: str) -> Any:
    """The media for a file parameter: a known file id, an upload, a URL or (unless strict) a new id."""
    if field in files and (value is None or value == ""):
        filename, data = files[field]
        return emu.files.new_media(kind, size=len(data), file_name=filename)
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {field} in the request")
    if value.startswith("attach://"):
        upload = files.get(value[len("attach://") :])
        if upload is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        filename, data = upload
        if not data:
            raise bad_request("file must be non-empty")
        return emu.files.new_media(kind, size=len(data), file_name=filename)
    if value.startswith(("http://", "https://")):
        return emu.files.new_media(kind)
    known = emu.files.resolve(kind, value)
    if known is not None:
        return known
    if emu.config.strict_file_ids:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return emu.files.adopt(kind, value)
