"""Parameters of the served Bot API methods, parsed by pydantic.

A Bot API request carries its parameters as JSON, as a query string or as a form (aiogram sends
multipart forms, with nested objects JSON-encoded in a field). ``Json`` fields decode such a string
before validation; scalars are coerced by pydantic's lax mode ("42" → 42, "true" → True), as the
real server does. Nested objects reuse aiogram's own models where they fit; keyboards get models of
their own because the server's checks (64-byte callback data, a button must do something) are
part of what the emulator must answer like Telegram.
"""

from __future__ import annotations

import json
import re
from typing import Annotated
from typing import Any
from typing import Literal

from aiogram.types import BotCommandScopeUnion
from aiogram.types import MessageEntity
from aiogram.types import ReactionTypeUnion
from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Discriminator
from pydantic import Field
from pydantic import Tag
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator

from .models import ApiError
from .models import JSONDict
from .models import bad_request


def _decode_json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("can't parse JSON object") from None
    return value


#: A field that may arrive JSON-encoded (form and query bodies).
Json = BeforeValidator(_decode_json)


def dump(model: BaseModel) -> JSONDict:
    """The Bot API shape of a parsed object (unset fields left out)."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def api_error(exc: ValidationError) -> ApiError:
    """The first problem of a request, worded like the real server's errors."""
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"][:1]) or "request"
    if error["type"] == "value_error":
        return bad_request(str(error["ctx"]["error"]))
    if error["type"] == "missing":
        return bad_request(f"{field} is empty")
    return bad_request(f"can't parse {field}: {error['msg']}")


class Params(BaseModel):
    """Unknown parameters are ignored, as Telegram does."""

    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------- keyboards

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_NO_ACTION = "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"


class InlineButton(BaseModel):
    model_config = ConfigDict(extra="allow")

    text: str = Field(min_length=1)
    callback_data: str | None = None
    url: str | None = None

    @field_validator("callback_data")
    @classmethod
    def _data_fits(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value.encode("utf-8")) <= 64:
            raise ValueError("BUTTON_DATA_INVALID")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_a_link(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?|tg)://\S+$", value):
            raise ValueError(f"inline keyboard button URL '{value}' is invalid: Wrong HTTP URL")
        return value

    @model_validator(mode="after")
    def _does_something(self) -> InlineButton:
        extra = self.model_extra or {}
        if self.callback_data is None and self.url is None and not any(name in extra for name in _BUTTON_ACTIONS):
            raise ValueError(_NO_ACTION)
        return self


class InlineKeyboard(BaseModel):
    model_config = ConfigDict(extra="allow")

    inline_keyboard: list[list[InlineButton]]


def _button_from_text(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class ReplyButton(BaseModel):
    model_config = ConfigDict(extra="allow")

    text: str

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value:
            raise ValueError("keyboard button text must be non-empty")
        return value


class ReplyKeyboard(BaseModel):
    model_config = ConfigDict(extra="allow")

    keyboard: list[list[Annotated[ReplyButton, BeforeValidator(_button_from_text)]]]
    is_persistent: bool | None = None
    resize_keyboard: bool | None = None
    one_time_keyboard: bool | None = None
    input_field_placeholder: str | None = Field(default=None, max_length=64)


class ReplyKeyboardRemove(BaseModel):
    model_config = ConfigDict(extra="allow")

    remove_keyboard: Literal[True]


class ForceReply(BaseModel):
    model_config = ConfigDict(extra="allow")

    force_reply: Literal[True]


def _markup_kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for kind in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply"):
        if kind in value:
            return kind
    return None


AnyMarkup = Annotated[
    Annotated[InlineKeyboard, Tag("inline_keyboard")]
    | Annotated[ReplyKeyboard, Tag("keyboard")]
    | Annotated[ReplyKeyboardRemove, Tag("remove_keyboard")]
    | Annotated[ForceReply, Tag("force_reply")],
    Discriminator(
        _markup_kind,
        custom_error_type="invalid_markup",
        custom_error_message="can't parse reply keyboard markup JSON object",
    ),
]

# ------------------------------------------------------------------ methods


class ChatParams(Params):
    chat_id: int


class MessageParams(ChatParams):
    message_id: int


class ReplyParameters(BaseModel):
    """aiogram's own model fills unset fields with the bot's defaults, which a server must not see."""

    message_id: int
    chat_id: int | str | None = None
    allow_sending_without_reply: bool = False


class Sending(ChatParams):
    """What every sending method shares."""

    reply_markup: Annotated[AnyMarkup | None, Json] = None
    reply_parameters: Annotated[ReplyParameters | None, Json] = None
    reply_to_message_id: int | None = None
    allow_sending_without_reply: bool = False
    protect_content: bool = False


class SendMessage(Sending):
    text: str = ""
    parse_mode: str | None = None
    entities: Annotated[list[MessageEntity] | None, Json] = None
    link_preview_options: Annotated[dict[str, Any] | None, Json] = None
    disable_web_page_preview: bool = False


class CaptionFields(BaseModel):
    caption: str | None = None
    parse_mode: str | None = None
    caption_entities: Annotated[list[MessageEntity] | None, Json] = None
    show_caption_above_media: bool | None = None


class SendMedia(Sending, CaptionFields):
    """sendPhoto and its siblings: the file is the field named like the kind (see ``media``)."""

    model_config = ConfigDict(extra="allow")

    has_spoiler: bool = False
    emoji: str | None = None

    def media(self, kind: str) -> Any:
        return (self.model_extra or {}).get(kind)


class InputMedia(CaptionFields):
    model_config = ConfigDict(extra="allow")

    type: Literal["photo", "video", "audio", "document"]
    media: str
    has_spoiler: bool = False


class SendMediaGroup(Sending):
    media: Annotated[list[InputMedia], Json, Field(min_length=2, max_length=10)]


class CopyMessage(Sending, CaptionFields):
    from_chat_id: int
    message_id: int


class CopyMessages(ChatParams):
    from_chat_id: int
    message_ids: Annotated[list[int], Json, Field(min_length=1, max_length=100)]
    protect_content: bool = False
    remove_caption: bool = False

    @field_validator("message_ids")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("message identifiers must be specified in strictly increasing order")
        return value


class EditMessage(Params):
    chat_id: int | None = None
    message_id: int | None = None
    inline_message_id: str | None = None
    reply_markup: Annotated[InlineKeyboard | None, Json] = None


class EditMessageText(EditMessage):
    text: str = ""
    parse_mode: str | None = None
    entities: Annotated[list[MessageEntity] | None, Json] = None
    link_preview_options: Annotated[dict[str, Any] | None, Json] = None


class EditMessageCaption(EditMessage, CaptionFields):
    pass


class SetMessageReaction(MessageParams):
    reaction: Annotated[list[ReactionTypeUnion] | None, Json, Field(max_length=1)] = None
    is_big: bool = False


class AnswerCallbackQuery(Params):
    callback_query_id: str
    text: str | None = Field(default=None, max_length=200)
    show_alert: bool = False
    url: str | None = None


class Command(BaseModel):
    command: str
    description: str = Field(min_length=1, max_length=256)

    @field_validator("command")
    @classmethod
    def _command_name(cls, value: str) -> str:
        value = value.lstrip("/")
        if not re.match(r"^[a-z0-9_]{1,32}$", value):
            raise ValueError("BOT_COMMAND_INVALID")
        return value


class CommandsScope(Params):
    scope: Annotated[BotCommandScopeUnion | None, Json] = None
    language_code: str = ""


class SetMyCommands(CommandsScope):
    commands: Annotated[list[Command], Json, Field(max_length=100)]


class GetUpdates(Params):
    offset: int | None = None
    limit: int = Field(default=100)
    timeout: float = 0.0
    allowed_updates: Annotated[list[str] | None, Json] = None


class SetWebhook(Params):
    url: str = ""
    secret_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    max_connections: int = 40
    allowed_updates: Annotated[list[str] | None, Json] = None
    drop_pending_updates: bool = False


class DeleteWebhook(Params):
    drop_pending_updates: bool = False


class NoParams(Params):
    pass
