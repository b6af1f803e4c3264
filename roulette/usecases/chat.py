"""Use cases of a chat in progress: relaying messages and edits, and ending the chat."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from enum import Enum
from enum import auto
from typing import Literal

from roulette.domain import MediaDelivery
from roulette.domain import MessageContent
from roulette.domain import check_edit
from roulette.domain import media_delivery
from roulette.storage.message_store import StoreRequest
from roulette.storage.message_store import StoreRules
from roulette.storage.repositories import ActiveChat
from roulette.usecases.use_case import UseCase


@dataclass(frozen=True, slots=True)
class Relay:
    """Where to copy a message: the partner's chat, as a reply to their copy when given."""

    message_id: int
    chat_id: int
    partner_id: int
    reply_to_message_id: int | None
    media: MediaDelivery = MediaDelivery.SHOWN  # how photos and videos reach the partner


class NotRelayed(Enum):
    """Why a message, an edit or a reaction is not passed on to a partner."""

    NOT_IN_CHAT = auto()
    ALREADY_RELAYED = auto()  # stored and relayed before: the update arrived twice
    FLOODED = auto()  # the sender is over the flood limit: nothing was stored
    NO_COPY_TO_EDIT = auto()  # the edited message is not in an active chat, or was never relayed
    NOT_A_PARTNERS_COPY = auto()  # the reacted message is no copy of the partner's in the chat going on


@dataclass(frozen=True, slots=True)
class AwaitingInput:
    """The message answers a question of the bot (the FSM `state`); nothing was stored."""

    state: str


SendResult = Relay | AwaitingInput | Literal[NotRelayed.NOT_IN_CHAT, NotRelayed.ALREADY_RELAYED, NotRelayed.FLOODED]


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """More than `max_messages` within `window_seconds` are held back."""

    max_messages: int = 20
    window_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class InputPrompt:
    """Where the bot's open questions live: the FSM key of a user's private chat, and the states
    in which the bot waits for typed input (the message is the answer, not a chat message)."""

    bot_id: int
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EditRelay:
    partner_id: int
    relayed_message_id: int
    media: MediaDelivery = MediaDelivery.SHOWN


@dataclass(frozen=True, slots=True)
class ChatClosed:
    chat_id: int
    partner_id: int

    @classmethod
    def of(cls, ended: ActiveChat | None) -> ChatClosed | None:
        """The chat a change ended, if it ended one."""
        return cls(ended.chat_id, ended.partner_id) if ended is not None else None


@dataclass(frozen=True, slots=True)
class SendMessage(UseCase):
    """Store a message in the sender's chat and say where to relay it (one round trip).

    Delivered twice, the same message is stored once; it is relayed again only if it has no
    recorded copy yet, so a crash between storing and copying cannot lose it.
    """

    flood: FloodPolicy = field(default_factory=FloodPolicy)

    async def __call__(
        self,
        sender_id: int,
        source_message_id: int,
        content: MessageContent,
        *,
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
        prompt: InputPrompt | None = None,
    ) -> SendResult:
        stored = await self.db.message_store.store(
            StoreRequest(sender_id, source_message_id, content, media_group_id, reply_to_message_id),
            StoreRules(
                self.flood.max_messages,
                self.flood.window_seconds,
                prompt.bot_id if prompt is not None else 0,
                prompt.states if prompt is not None else (),
            ),
        )
        if stored.awaiting_input is not None:
            return AwaitingInput(stored.awaiting_input)
        if stored.chat_id is None or stored.partner_id is None:
            return NotRelayed.NOT_IN_CHAT
        if stored.flooded or stored.message_id is None:
            return NotRelayed.FLOODED
        if stored.relayed_message_id is not None:
            return NotRelayed.ALREADY_RELAYED
        return Relay(
            stored.message_id,
            stored.chat_id,
            stored.partner_id,
            stored.reply_to_message_id,
            media_delivery(stored.partner_media, stored.partner_age),
        )


class RecordRelayed(UseCase):
    """Remember the partner-side id of a relayed message, for replies and edits."""

    async def __call__(self, message_id: int, relayed_message_id: int) -> None:
        await self.db.relayed_copies.record(message_id, relayed_message_id)


@dataclass(frozen=True, slots=True)
class EditMessage(UseCase):
    """Store an edit of text or caption and say which copy to edit; edits count against the
    flood guard like messages (a flooded edit is neither stored nor relayed)."""

    flood: FloodPolicy = field(default_factory=FloodPolicy)

    async def __call__(
        self, sender_id: int, source_message_id: int, *, text: str | None = None, caption: str | None = None
    ) -> EditRelay | NotRelayed:
        check_edit(text=text, caption=caption)
        async with self.db.uow() as uow:
            edited = await uow.messages.record_edit(
                sender_id, source_message_id, text, caption, self.flood.max_messages, self.flood.window_seconds
            )
            await uow.commit()
        if edited.flooded:
            return NotRelayed.FLOODED
        if edited.partner_id is None or edited.relayed_message_id is None:
            return NotRelayed.NO_COPY_TO_EDIT
        return EditRelay(
            edited.partner_id, edited.relayed_message_id, media_delivery(edited.partner_media, edited.partner_age)
        )


class CloseChat(UseCase):
    """End the user's chat for both sides; idempotent (None: there was no chat to end)."""

    async def __call__(self, user_id: int, reason: str = "stop") -> ChatClosed | None:
        async with self.db.uow() as uow:
            ended = await uow.chats.end_active_chat_of(user_id, reason, tell_leaver=True)
            await uow.commit()
        return ChatClosed.of(ended)
