"""A Bot API session that never touches the network: it records every request and answers
like Telegram would, with faults (429, 403) on demand. Handler tests feed real `Update`
objects to the real Dispatcher over it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import AsyncGenerator
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramForbiddenError
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import CopyMessage
from aiogram.methods import CopyMessages
from aiogram.methods import GetMe
from aiogram.methods import SendAnimation
from aiogram.methods import SendAudio
from aiogram.methods import SendDocument
from aiogram.methods import SendMediaGroup
from aiogram.methods import SendMessage
from aiogram.methods import SendPhoto
from aiogram.methods import SendSticker
from aiogram.methods import SendVideo
from aiogram.methods import SendVoice
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Animation
from aiogram.types import Audio
from aiogram.types import CallbackQuery
from aiogram.types import Chat
from aiogram.types import ChatMemberBanned
from aiogram.types import ChatMemberMember
from aiogram.types import ChatMemberUpdated
from aiogram.types import Contact
from aiogram.types import Dice
from aiogram.types import Document
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import Location
from aiogram.types import Message
from aiogram.types import MessageEntity
from aiogram.types import MessageId
from aiogram.types import MessageReactionUpdated
from aiogram.types import PhotoSize
from aiogram.types import Poll
from aiogram.types import PollOption
from aiogram.types import ReactionTypeCustomEmoji
from aiogram.types import ReactionTypeEmoji
from aiogram.types import ReactionTypePaid
from aiogram.types import Sticker
from aiogram.types import Story
from aiogram.types import Update
from aiogram.types import User
from aiogram.types import Video
from aiogram.types import VideoNote
from aiogram.types import Voice

TOKEN = "42:TEST-TOKEN"
BOT_USER = User(id=42, is_bot=True, first_name="Anochat", username="anochat_bot")


@dataclass
class Fault:
    method: type[TelegramMethod[Any]]
    chat_id: int | None
    error: Callable[[TelegramMethod[Any]], Exception]
    remaining: int = 1


class FakeTelegram(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(10_000))
        self._faults: list[Fault] = []
        self.blocked: set[int] = set()

    # --- faults ---------------------------------------------------------------------------

    def rate_limit_next(
        self, method: type[TelegramMethod[Any]], retry_after: int = 1, chat_id: int | None = None
    ) -> None:
        self._faults.append(
            Fault(
                method,
                chat_id,
                lambda m: TelegramRetryAfter(m, f"Too Many Requests: retry after {retry_after}", retry_after),
            )
        )

    def fail_next(
        self,
        method: type[TelegramMethod[Any]],
        error: Callable[[TelegramMethod[Any]], Exception],
        chat_id: int | None = None,
    ) -> None:
        self._faults.append(Fault(method, chat_id, error))

    # --- what the bot sent ----------------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[TelegramMethod[Any]]:
        return [request for request in self.requests if getattr(request, "chat_id", None) == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [request.text for request in self.sent_to(chat_id) if isinstance(request, SendMessage)]

    def last_text_to(self, chat_id: int) -> str:
        texts = self.texts_to(chat_id)
        assert texts, f"nothing was sent to {chat_id}"
        return texts[-1]

    def last_markup_to(self, chat_id: int) -> InlineKeyboardMarkup | None:
        for request in reversed(self.sent_to(chat_id)):
            markup = getattr(request, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup):
                return markup
        return None

    def copies_to(self, chat_id: int) -> list[CopyMessage]:
        return [request for request in self.sent_to(chat_id) if isinstance(request, CopyMessage)]

    def of_type(self, method: type[TelegramMethod[Any]]) -> list[Any]:
        return [request for request in self.requests if isinstance(request, method)]

    def clear(self) -> None:
        self.requests.clear()

    # --- BaseSession ----------------------------------------------------------------------

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        chat_id = getattr(method, "chat_id", None)
        for fault in self._faults:
            if isinstance(method, fault.method) and fault.chat_id in (None, chat_id) and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                raise fault.error(method)
        if isinstance(chat_id, int) and chat_id in self.blocked:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        return cast(TelegramType, self._answer(method))

    def _next_id(self, chat_id: Any) -> int:
        return next(self._message_ids[int(chat_id)])

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, CopyMessage):
            return MessageId(message_id=self._next_id(method.chat_id))
        if isinstance(method, CopyMessages):
            return [MessageId(message_id=self._next_id(method.chat_id)) for _ in method.message_ids]
        if isinstance(method, SendMediaGroup):
            return [
                Message(
                    message_id=self._next_id(method.chat_id),
                    date=datetime.now(UTC),
                    chat=Chat(id=int(method.chat_id), type="private"),
                    from_user=BOT_USER,
                )
                for _ in method.media
            ]
        if isinstance(
            method,
            SendMessage | SendPhoto | SendVideo | SendAnimation | SendAudio | SendDocument | SendVoice | SendSticker,
        ):
            return Message(
                message_id=self._next_id(method.chat_id),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                text=getattr(method, "text", None),
            )
        return True

    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - no files in these tests
        yield b""


# --- updates from simulated users -------------------------------------------------------------

_update_ids = itertools.count(1)
_user_message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))


def tg_user(user_id: int, language_code: str | None = "en", first_name: str = "Tester") -> User:
    return User(id=user_id, is_bot=False, first_name=first_name, username=f"user{user_id}", language_code=language_code)


def next_message_id(user_id: int) -> int:
    return next(_user_message_ids[user_id])


def message_update(user: User, text: str | None = None, *, message_id: int | None = None, **fields: Any) -> Update:
    """A private message from `user`; `fields` are any other Message fields (photo=..., reply_to_message=...)."""
    entities = fields.pop("entities", None)
    if text is not None and text.startswith("/") and entities is None:
        command = text.split()[0]
        entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
    message = Message(
        message_id=message_id if message_id is not None else next_message_id(user.id),
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
        entities=entities,
        **fields,
    )
    return Update(update_id=next(_update_ids), message=message)


def edited_update(user: User, message_id: int, text: str | None = None, **fields: Any) -> Update:
    """An edit of `user`'s message: a new text, or other Message fields (caption=..., entities=...)."""
    message = Message(
        message_id=message_id,
        date=datetime.now(UTC),
        edit_date=int(datetime.now(UTC).timestamp()),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
        **fields,
    )
    return Update(update_id=next(_update_ids), edited_message=message)


def callback_update(
    user: User, data: str, *, message_id: int = 1, reply_markup: InlineKeyboardMarkup | None = None
) -> Update:
    """A button press; `reply_markup` is the keyboard of the message the button was under."""
    message = Message(
        message_id=message_id,
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=BOT_USER,
        text="…",
        reply_markup=reply_markup,
    )
    query = CallbackQuery(id=str(next(_update_ids)), from_user=user, chat_instance="ci", data=data, message=message)
    return Update(update_id=next(_update_ids), callback_query=query)


def photo(file_id: str = "photo-file") -> list[PhotoSize]:
    return [PhotoSize(file_id=file_id, file_unique_id=file_id + "-u", width=90, height=90)]


# --- more things a user can send ---------------------------------------------------------------
# Each returns the Message field of that name: message_update(user, video=video()).


def video(file_id: str = "video-file") -> Video:
    return Video(file_id=file_id, file_unique_id=file_id + "-u", width=320, height=240, duration=3)


def animation(file_id: str = "animation-file") -> Animation:
    return Animation(file_id=file_id, file_unique_id=file_id + "-u", width=320, height=240, duration=2)


def voice(file_id: str = "voice-file") -> Voice:
    return Voice(file_id=file_id, file_unique_id=file_id + "-u", duration=4)


def video_note(file_id: str = "video-note-file") -> VideoNote:
    return VideoNote(file_id=file_id, file_unique_id=file_id + "-u", length=240, duration=5)


def audio(file_id: str = "audio-file") -> Audio:
    return Audio(file_id=file_id, file_unique_id=file_id + "-u", duration=180)


def document(file_id: str = "document-file") -> Document:
    return Document(file_id=file_id, file_unique_id=file_id + "-u", file_name="notes.txt")


def sticker(file_id: str = "sticker-file") -> Sticker:
    return Sticker(
        file_id=file_id,
        file_unique_id=file_id + "-u",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )


def dice(value: int = 4) -> Dice:
    return Dice(emoji="🎲", value=value)


def poll(question: str = "Tea or coffee?") -> Poll:
    options = [PollOption(persistent_id=str(n), text=text, voter_count=0) for n, text in enumerate(("Tea", "Coffee"))]
    return Poll(
        id="poll-1",
        question=question,
        options=options,
        total_voter_count=0,
        is_closed=False,
        is_anonymous=True,
        type="regular",
        allows_multiple_answers=False,
        allows_revoting=False,
        members_only=False,
    )


def contact() -> Contact:
    return Contact(phone_number="+10000000000", first_name="Someone")


def location() -> Location:
    return Location(latitude=51.5, longitude=-0.12)


def story(poster_id: int = 777) -> Story:
    return Story(chat=Chat(id=poster_id, type="private"), id=1)


def replied(chat_id: int, message_id: int, text: str = "…") -> Message:
    """The message a reply points at, as Telegram embeds it in `reply_to_message`."""
    return Message(message_id=message_id, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"), text=text)


def album_updates(user: User, count: int = 3, media_group_id: str = "album-1", **first: Any) -> list[Update]:
    """An album: `count` photos sharing a media_group_id, as Telegram delivers them (one update each);
    `first` are fields of the first one only (caption=..., caption_entities=...)."""
    return [
        message_update(
            user, photo=photo(f"{media_group_id}-{n}"), media_group_id=media_group_id, **(first if n == 0 else {})
        )
        for n in range(count)
    ]


def my_chat_member_update(user: User, status: str, *, group_id: int | None = None) -> Update:
    """The user blocked ("kicked") or unblocked ("member") the bot in their private chat, or
    removed it from / added it to a group when `group_id` is given."""
    member = ChatMemberMember(user=BOT_USER)
    kicked = ChatMemberBanned(user=BOT_USER, until_date=datetime.fromtimestamp(0, UTC))
    old, new = (member, kicked) if status == "kicked" else (kicked, member)
    event = ChatMemberUpdated(
        chat=Chat(id=user.id, type="private") if group_id is None else Chat(id=group_id, type="group"),
        from_user=user,
        date=datetime.now(UTC),
        old_chat_member=old,
        new_chat_member=new,
    )
    return Update(update_id=next(_update_ids), my_chat_member=event)


def group_message_update(user: User, group_id: int, text: str) -> Update:
    """A message `user` sent in a group the bot was added to."""
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next_message_id(group_id),
        date=datetime.now(UTC),
        chat=Chat(id=group_id, type="group", title="Some group"),
        from_user=user,
        text=text,
        entities=entities,
    )
    return Update(update_id=next(_update_ids), message=message)


def reaction_update(
    user: User, message_id: int, new: Sequence[str | int] = (), old: Sequence[str | int] = ()
) -> Update:
    """`user` changed their reactions on a message of their chat: each emoji a string, each custom
    emoji an int (its id)."""

    def reactions(items: Sequence[str | int]) -> list[ReactionTypeEmoji | ReactionTypeCustomEmoji | ReactionTypePaid]:
        return [
            ReactionTypeEmoji(emoji=item)
            if isinstance(item, str)
            else ReactionTypeCustomEmoji(custom_emoji_id=str(item))
            for item in items
        ]

    event = MessageReactionUpdated(
        chat=Chat(id=user.id, type="private"),
        message_id=message_id,
        user=user,
        date=datetime.now(UTC),
        old_reaction=reactions(old),
        new_reaction=reactions(new),
    )
    return Update(update_id=next(_update_ids), message_reaction=event)
