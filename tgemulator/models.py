"""Data model of the Bot API emulator: messages, updates, errors, settings."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import NamedTuple

JSONDict = dict[str, Any]

#: Update types delivered when ``allowed_updates`` is empty or was never set.
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}

#: Media kinds stored with a file id, in the order aiogram detects content types.
FILE_KINDS = ("audio", "animation", "document", "photo", "sticker", "video", "video_note", "voice")
#: Kinds whose messages carry a caption.
CAPTION_KINDS = frozenset({"photo", "video", "animation", "audio", "document", "voice"})
#: Every message kind the emulator understands.
MESSAGE_KINDS = (
    "text",
    *FILE_KINDS,
    "dice",
    "poll",
    "contact",
    "location",
    "venue",
)
_CONTENT_KEY_ORDER = (
    "text",
    "audio",
    "animation",
    "document",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
    "contact",
    "dice",
    "poll",
    "venue",
    "location",
)


class ApiError(Exception):
    """An error answered in Telegram's shape ``{"ok": false, ...}``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def kind_of(content: JSONDict) -> str:
    """Message kind of a content dict (same precedence as aiogram's ``content_type``)."""
    for key in _CONTENT_KEY_ORDER:
        if key in content:
            return key
    return "unknown"


@dataclass(slots=True)
class EmulatorConfig:
    """Tunables of :class:`~tgemulator.server.BotAPIEmulator`."""

    token: str = "123456:TEST-TOKEN"
    bot_username: str = "anochat_test_bot"
    bot_first_name: str = "Anochat"
    #: The first update id (Telegram's ids only grow; give a larger base when a database
    #: that remembers handled update ids outlives the emulator).
    first_update_id: int = 500_000_001
    #: First id handed out by ``emulator.user()`` when no id is given.
    first_user_id: int = 100_000_001
    #: Reject unknown file_id strings like the real server (otherwise adopt them).
    strict_file_ids: bool = False
    #: Users must message the bot before it may write to them (403 otherwise).
    require_start: bool = True
    #: Seed for dice values and synthetic ids.
    seed: int | None = None
    #: Webhook: first retry delay, backoff cap and attempts per update before it is dropped.
    webhook_retry_delay: float = 0.1
    webhook_retry_max_delay: float = 2.0
    webhook_max_attempts: int = 8
    #: Webhook: seconds to wait for the receiver's HTTP response.
    webhook_timeout: float = 30.0
    #: Largest accepted request body (bytes).
    client_max_size: int = 64 * 1024 * 1024


class SentRecord(NamedTuple):
    """One message stored on behalf of the bot."""

    method: str
    chat_id: int
    message_id: int
    #: ``time.perf_counter()`` when the emulator stored the message (monotonic).
    at: float


@dataclass(slots=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(slots=True)
class PendingUpdate:
    update_id: int
    type: str
    chat_id: int
    raw: bytes


@dataclass(eq=False, slots=True)
class EmuMessage:
    """A stored message (either direction) with its full content.

    ``content`` holds the Bot API fields that describe the content
    (``text``/``entities``, ``photo``, ``caption``/``caption_entities``, ...).
    Edits replace ``content`` with a new dict and push the previous one to
    ``edit_history``; deletions only set ``deleted``.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    content: JSONDict
    date: int
    sender: JSONDict = field(repr=False)
    chat: JSONDict = field(repr=False)
    #: Bot API method that created it, or ``"user"`` for messages sent by the user.
    method: str = "user"
    reply_to: EmuMessage | None = field(default=None, repr=False)
    reply_markup: JSONDict | None = None
    protect_content: bool = False
    media_group_id: str | None = None
    edit_date: int | None = None
    edit_history: list[JSONDict] = field(default_factory=list, repr=False)
    deleted: bool = False
    #: Reactions the bot set on this message (``setMessageReaction``).
    reactions: list[JSONDict] = field(default_factory=list, repr=False)
    #: The user's own reaction on this message (what their ``message_reaction`` update said).
    user_reactions: list[JSONDict] = field(default_factory=list, repr=False)
    copied_from: tuple[int, int] | None = None
    #: ``time.perf_counter()`` when the message was stored.
    stored_at: float = 0.0
    #: Chat revision of the last change of this message.
    rev: int = 0

    # ------------------------------------------------------------ accessors
    @property
    def kind(self) -> str:
        return kind_of(self.content)

    @property
    def text(self) -> str | None:
        value = self.content.get("text")
        return value if isinstance(value, str) else None

    @property
    def caption(self) -> str | None:
        value = self.content.get("caption")
        return value if isinstance(value, str) else None

    @property
    def body(self) -> str:
        """Text or caption (empty string if neither)."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[JSONDict]:
        """Entities of the text, or of the caption for media."""
        key = "entities" if "text" in self.content else "caption_entities"
        value = self.content.get(key)
        return list(value) if isinstance(value, list) else []

    @property
    def file_id(self) -> str | None:
        media = self._media()
        return None if media is None else str(media.get("file_id"))

    @property
    def file_unique_id(self) -> str | None:
        media = self._media()
        return None if media is None else str(media.get("file_unique_id"))

    def _media(self) -> JSONDict | None:
        for key in FILE_KINDS:
            value = self.content.get(key)
            if isinstance(value, list) and value:
                last = value[-1]
                return last if isinstance(last, dict) else None
            if isinstance(value, dict):
                return value
        return None

    @property
    def reply_to_message_id(self) -> int | None:
        return None if self.reply_to is None else self.reply_to.message_id

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def buttons(self) -> list[JSONDict]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[list[str]]:
        """Texts of the inline keyboard (or of a reply keyboard) as rows."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[str(b["text"]) if isinstance(b, dict) else str(b) for b in row] for row in rows]

    def callback_data(self, text: str) -> str:
        """``callback_data`` of the inline button with exactly this text."""
        for button in self.buttons:
            if button.get("text") == text and "callback_data" in button:
                return str(button["callback_data"])
        raise LookupError(f"no callback button {text!r} on message {self.message_id}")

    # -------------------------------------------------------- serialisation
    def to_api(self, *, with_reply: bool = True) -> JSONDict:
        """The Bot API ``Message`` object for this message."""
        data: JSONDict = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.protect_content:
            data["has_protected_content"] = True
        if with_reply and self.reply_to is not None and not self.reply_to.deleted:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        data.update(self.content)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def to_inaccessible(self) -> JSONDict:
        """``InaccessibleMessage`` shape (used for deleted messages)."""
        return {"chat": self.chat, "message_id": self.message_id, "date": 0}

    def to_dict(self) -> JSONDict:
        """Flat JSON view used by the HTTP user API."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text,
            "caption": self.caption,
            "entities": self.entities,
            "file_id": self.file_id,
            "reply_to_message_id": self.reply_to_message_id,
            "reply_markup": self.reply_markup,
            "protect_content": self.protect_content,
            "media_group_id": self.media_group_id,
            "edited": self.edited,
            "edit_count": len(self.edit_history),
            "deleted": self.deleted,
            "reactions": self.reactions,
            "user_reactions": self.user_reactions,
            "method": self.method,
            "date": self.date,
            "rev": self.rev,
            "content": self.content,
        }
