"""The hot path: every other message of a user in a chat is copied to the partner.

Messages are copied (copyMessage), never forwarded: a forward shows the sender. One query
stores the message and finds the partner; the copy is sent after it committed. Its handlers
sit on the dispatcher itself, ahead of every router, and filter only on "not a command", so
aiogram spends next to nothing before reaching them; commands nobody answers come back
through a small router of their own, last.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.methods import CopyMessage
from aiogram.types import Message
from aiogram.types import Poll
from aiogram.types import ReplyParameters
from aiogram.utils.i18n import gettext as _

from roulette.anonymity import outgoing
from roulette.bot import partner_media
from roulette.bot.albums import Albums
from roulette.bot.copies import send_copy
from roulette.bot.copies import send_edit
from roulette.bot.delivery import Courier
from roulette.bot.delivery import is_message_gone
from roulette.bot.filters import ChatText
from roulette.bot.metrics import FLOOD_HOLDS
from roulette.bot.typed_answers import TypedAnswers
from roulette.domain import InvalidMessage
from roulette.domain import MediaDelivery
from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.chat import AwaitingInput
from roulette.usecases.chat import EditRelay
from roulette.usecases.chat import InputPrompt
from roulette.usecases.chat import NotRelayed
from roulette.usecases.chat import Relay
from roulette.usecases.search import Unpaired

log = logging.getLogger(__name__)


def register(root: Router) -> None:
    """Chat messages and their edits, on `root`'s own observers, ahead of its sub-routers.
    Commands skip them, so /stop or /help still work mid-question."""
    root.message.register(relay_message, ChatText())
    root.edited_message.register(relay_edit)


def build_unknown_commands_router() -> Router:
    """Commands no feature answered: to the partner they are text like any other."""
    router = Router(name="unknown commands")
    router.message.register(relay_unknown_command)
    return router


# Kinds Telegram can carry that identify a person or a place.
PERSONAL_KINDS = ("contact", "location", "venue")


@dataclass(slots=True)
class Refused:
    reason: str  # personal | account link | unsupported | invalid


def content_of(message: Message) -> MessageContent | Refused:
    """The relayable content of a Telegram message, or why it is refused."""
    try:
        if message.text is not None:
            return MessageContent.text_message(message.text)
        caption = message.caption
        if message.photo:
            return MessageContent.media(MessageKind.PHOTO, message.photo[-1].file_id, caption)
        if message.animation is not None:  # before document: an animation also carries one
            return MessageContent.media(MessageKind.ANIMATION, message.animation.file_id, caption)
        for kind, media in (
            (MessageKind.VIDEO, message.video),
            (MessageKind.VOICE, message.voice),
            (MessageKind.AUDIO, message.audio),
            (MessageKind.DOCUMENT, message.document),
        ):
            if media is not None:
                return MessageContent.media(kind, media.file_id, caption)
        if message.video_note is not None:
            return MessageContent.media(MessageKind.VIDEO_NOTE, message.video_note.file_id)
        if message.sticker is not None:
            return MessageContent.media(MessageKind.STICKER, message.sticker.file_id)
        if message.dice is not None:
            return MessageContent(MessageKind.DICE)
        if message.poll is not None:
            if _poll_reveals_someone(message.poll):
                return Refused("account link")
            return MessageContent(MessageKind.POLL)
    except InvalidMessage:
        return Refused("invalid")
    if message.contact is not None or message.location is not None or message.venue is not None:
        return Refused("personal")
    return Refused("unsupported")


class FloodNotices:
    """At most one "slow down" notice per user per window, so the notices are no flood themselves."""

    def __init__(self, window_seconds: float, max_users: int = 10_000) -> None:
        self._window = window_seconds
        self._max_users = max_users
        self._last: OrderedDict[int, float] = OrderedDict()

    def should_notify(self, user_id: int) -> bool:
        now = time.monotonic()
        last = self._last.get(user_id)
        if last is not None and now - last < self._window:
            return False
        self._last[user_id] = now
        self._last.move_to_end(user_id)
        while len(self._last) > self._max_users:
            self._last.popitem(last=False)
        return True


async def _hint_for(user_id: int, usecases: UseCases) -> str:
    """What to do next: a stranger (never started, or deleted their data) starts with /start;
    a user still searching waits or cancels."""
    if await usecases.get_user(user_id) is None:
        return _("Send /start to set up your profile and meet someone.")
    if await usecases.get_current_chat(user_id) is Unpaired.SEARCHING:
        return _("Still searching · /stop to cancel")
    return hint_not_in_chat()


def hint_not_in_chat() -> str:
    return _("You are not in a chat right now.\n/search — find a partner · /profile — your profile · /help")


async def relay_unknown_command(
    message: Message,
    usecases: UseCases,
    courier: Courier,
    albums: Albums,
    flood_notices: FloodNotices,
    settings: Settings,
    state: FSMContext,
    typed_answers: TypedAnswers,
) -> None:
    await relay_message(message, usecases, courier, albums, flood_notices, settings, state, typed_answers)


async def relay_message(
    message: Message,
    usecases: UseCases,
    courier: Courier,
    albums: Albums,
    flood_notices: FloodNotices,
    settings: Settings,
    state: FSMContext,
    typed_answers: TypedAnswers,
) -> None:
    sender = message.from_user
    if sender is None or message.chat.type != "private":
        return
    content = content_of(message)
    if isinstance(content, Refused):
        # Rare, so here the FSM state is read on its own: an empty text may still be an answer.
        answer = typed_answers.handler_for(await state.get_state())
        if answer is not None and await answer(message, state, usecases, courier):
            return
        if content.reason == "personal" and settings.relay_contacts_and_locations:
            await _copy_unstored(message, usecases, courier, settings)
            return
        await message.answer(_refusal_text(content))
        return
    reply = message.reply_to_message
    send = partial(
        usecases.send_message,
        sender.id,
        message.message_id,
        content,
        media_group_id=message.media_group_id,
        reply_to_message_id=reply.message_id if reply is not None else None,
    )
    result = await send(prompt=InputPrompt(state.key.bot_id, typed_answers.states))
    if isinstance(result, AwaitingInput):
        # The FSM state is read by this same query, not before every message (see
        # roulette/bot/middlewares.py StateOnDemand): the relay path stays one round trip.
        answer = typed_answers.handler_for(result.state)
        assert answer is not None  # the query only reports the states it was given
        if await answer(message, state, usecases, courier):
            return
        result = await send()  # not an answer, and the question is closed: a chat message after all
        assert not isinstance(result, AwaitingInput)  # asked without a prompt
    if result is NotRelayed.NOT_IN_CHAT:
        await albums.settle(sender.id, courier, usecases, settings)
        await message.answer(await _hint_for(sender.id, usecases))
        return
    if result is NotRelayed.ALREADY_RELAYED:
        return
    if result is NotRelayed.FLOODED:
        await _notify_flood(message, flood_notices)
        return
    # An album goes out as one copy, which can't carry a spoiler: for a partner who gets media
    # blurred or as text, each of its photos and videos goes on its own.
    if message.media_group_id is not None and not partner_media.replaces_copy(result.media, content.kind):
        await albums.add(result, message, message.media_group_id, courier, usecases, settings)
        return
    await albums.settle(sender.id, courier, usecases, settings)
    await _copy(message, content.kind, result, usecases, courier, settings)


async def _notify_flood(message: Message, flood_notices: FloodNotices) -> None:
    """One notice per window: the notices are no flood themselves."""
    assert message.from_user is not None
    FLOOD_HOLDS.inc()
    if flood_notices.should_notify(message.from_user.id):
        await message.answer(
            _("You are sending messages too fast. Wait a few seconds: messages sent meanwhile are not delivered.")
        )


def _poll_reveals_someone(poll: Poll) -> bool:
    """A poll is only ever copied (a quiz's answer is not the bot's to send again), so one whose
    question, options or explanation link to an account can't go at all."""
    texts = [(poll.question, poll.question_entities), (poll.explanation, poll.explanation_entities)]
    texts += [(option.text, option.text_entities) for option in poll.options]
    return any(outgoing(text, entities).cleaned for text, entities in texts)


def _refusal_text(refused: Refused) -> str:
    if refused.reason == "account link":
        return _("This message links to someone's Telegram account, so it can't be sent to your partner.")
    if refused.reason == "personal":
        return _("Contacts and locations are not sent to your partner, to keep you both anonymous.")
    if refused.reason == "invalid":
        return _("This message can't be sent: it is empty or too long.")
    return _("This kind of message can't be sent to your partner.")


async def _copy(
    message: Message, kind: MessageKind, relay: Relay, usecases: UseCases, courier: Courier, settings: Settings
) -> None:
    reply_parameters = (
        ReplyParameters(message_id=relay.reply_to_message_id, allow_sending_without_reply=True)
        if relay.reply_to_message_id is not None
        else None
    )
    try:
        instead = await partner_media.instead_of_copy(message, kind, relay, reply_parameters, courier, settings)
        if instead is not None:
            sent = await courier.send(instead, recipient=relay.partner_id)
            copy_id = sent.message_id if sent is not None else None
        else:
            copy_id = await send_copy(message, relay.partner_id, reply_parameters, courier, settings.protect_content)
    except TelegramBadRequest as error:
        log.warning("copy refused by Telegram: %s", error.message)
        await message.answer(_("Telegram refused to deliver this message to your partner."))
        return
    if copy_id is None:  # the partner blocked the bot; their chat has been ended and the sender told
        return
    await usecases.record_relayed(relay.message_id, copy_id)


async def _copy_unstored(message: Message, usecases: UseCases, courier: Courier, settings: Settings) -> None:
    """Contacts and locations, when allowed by settings: copied, but never stored."""
    assert message.from_user is not None
    status = await usecases.get_current_chat(message.from_user.id)
    partner_id = getattr(status, "partner_id", None)
    if partner_id is None:
        await message.answer(hint_not_in_chat())
        return
    await courier.send(
        CopyMessage(
            chat_id=partner_id,
            from_chat_id=message.chat.id,
            message_id=message.message_id,
            protect_content=settings.protect_content,
        ),
        recipient=partner_id,
    )


async def relay_edit(message: Message, usecases: UseCases, courier: Courier, flood_notices: FloodNotices) -> None:
    sender = message.from_user
    if sender is None:
        return
    try:
        result = await usecases.edit_message(sender.id, message.message_id, text=message.text, caption=message.caption)
    except InvalidMessage:
        return
    if result is NotRelayed.FLOODED:
        await _notify_flood(message, flood_notices)
        return
    if not isinstance(result, EditRelay):
        return
    if message.text is None and result.media is MediaDelivery.TEXT:
        return  # the partner got a line instead of the media: there is no caption to edit
    try:
        await send_edit(message, result.partner_id, result.relayed_message_id, courier)
    except TelegramBadRequest as error:
        if "not modified" not in error.message and not is_message_gone(error):
            raise
