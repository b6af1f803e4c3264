"""Talking again by mutual consent: 🔁 under an ended chat asks the partner, whose invitation has
Accept and Decline. The ask button carries the chat id (the use case checks that the presser was in
that chat); the invitation's buttons carry only its random token. A partner who cannot or does not
want to talk again is told to the asker only as "not now"."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot.callbacks import AskAgain
from roulette.bot.callbacks import InvitationReply
from roulette.bot.callbacks import ReconnectAnswer
from roulette.bot.choices import show_choice
from roulette.bot.delivery import Courier
from roulette.bot.delivery import not_now
from roulette.bot.routers.rating import partner_gone
from roulette.bot.texts import no_longer_active
from roulette.usecases import UseCases
from roulette.usecases.after_chat import Refused
from roulette.usecases.reconnect import RECONNECT_WINDOW_HOURS
from roulette.usecases.reconnect import Declined
from roulette.usecases.reconnect import Invited
from roulette.usecases.reconnect import NotAgain
from roulette.usecases.reconnect import Reconnected


def build_router() -> Router:
    router = Router(name="reconnect")
    router.callback_query.register(on_ask_again, AskAgain.filter())
    router.callback_query.register(on_answer, ReconnectAnswer.filter())
    return router


def invitation_gone() -> str:
    return _("This invitation is no longer valid.")


def refusal(not_again: NotAgain, *, accepting: bool) -> str:
    """What the one who asked or accepted is told when nothing opened."""
    match not_again:
        case NotAgain.ALREADY_ASKED:
            return _("You have already asked to talk again after this chat.")
        case NotAgain.TOO_LATE:
            return _(
                "Too late to ask: that chat ended more than {hours} hours ago, or there has been another chat since."
            ).format(hours=RECONNECT_WINDOW_HOURS)
        case NotAgain.IN_ANOTHER_CHAT:
            return _("You are in another chat: an earlier partner can't be asked or accepted any more.")
        case NotAgain.SEARCHING if accepting:
            return _("You are searching. Stop with /stop, then accept again.")
        case NotAgain.SEARCHING:
            return _("You are searching. Stop with /stop, then ask again.")
        case NotAgain.NOT_NOW:
            return not_now()
        case NotAgain.INVITATION_GONE:
            return invitation_gone()


async def on_ask_again(query: CallbackQuery, callback_data: AskAgain, usecases: UseCases, courier: Courier) -> None:
    result = await usecases.ask_to_reconnect(query.from_user.id, callback_data.chat_id)
    match result:
        case Invited():
            await query.answer(
                _("Asked. If your partner accepts while you are both free, the chat opens again."), show_alert=True
            )
            await courier.deliver_notices(result.invitee_id)
            await show_choice(query, _("🔁 Asked to talk again"), keep=_without_ask(query))
        case Reconnected():
            await query.answer(_("You both asked: the chat opens again."))
            await courier.deliver_notices(result.asker_id, result.invitee_id)
            await show_choice(query, _("🔁 Talking again"), keep=_without_ask(query))
        case NotAgain.ALREADY_ASKED:
            await query.answer(refusal(result, accepting=False))
        case NotAgain():
            await query.answer(refusal(result, accepting=False), show_alert=True)
        case Refused.CHAT_STILL_ACTIVE:
            await query.answer(_("The chat is still going on."))
        case Refused.PARTNER_GONE:
            await query.answer(partner_gone(), show_alert=True)
        case Refused():
            await query.answer(no_longer_active())


async def on_answer(query: CallbackQuery, callback_data: ReconnectAnswer, usecases: UseCases, courier: Courier) -> None:
    user_id = query.from_user.id
    if callback_data.reply is InvitationReply.DECLINE:
        declined = await usecases.decline_reconnect(user_id, callback_data.token)
        if isinstance(declined, Declined):
            await query.answer(_("Declined."))
            await show_choice(query, _("✖️ Declined"))
            await courier.deliver_notices(declined.asker_id)
        else:
            await _gone(query)
        return
    result = await usecases.accept_reconnect(user_id, callback_data.token)
    match result:
        case Reconnected():
            await query.answer()
            await show_choice(query, _("✅ Accepted"))
            await courier.deliver_notices(result.invitee_id, result.asker_id)
        case NotAgain.INVITATION_GONE:
            await _gone(query)
        case NotAgain():
            await query.answer(refusal(result, accepting=True), show_alert=True)


def _without_ask(query: CallbackQuery) -> InlineKeyboardMarkup | None:
    """The buttons under the pressed message that still apply: all but 🔁 (rating, report, block)."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return None
    ask = AskAgain.__prefix__ + AskAgain.__separator__
    rows = [
        [button for button in row if not (button.callback_data or "").startswith(ask)] for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def _gone(query: CallbackQuery) -> None:
    await query.answer(invitation_gone(), show_alert=True)
    if isinstance(query.message, Message):
        await show_choice(query, invitation_gone())
