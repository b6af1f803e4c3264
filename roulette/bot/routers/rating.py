"""The buttons under an ended chat: 👍 / 👎, report, block.

Each carries only the chat id; the use case checks that the presser was in that chat, so a
forged or someone else's button changes nothing.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import BlockPartner, Rate, Report, Vote
from roulette.bot.choices import show_choice
from roulette.bot.delivery import Courier
from roulette.bot.metrics import BANS, REPORTS
from roulette.bot.texts import no_longer_active, report_reason_name
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.after_chat import (
    AlreadyRated,
    AlreadyReported,
    Blocked,
    ChatStillActive,
    NotYourChat,
    Rated,
    Reported,
)


def build_router() -> Router:
    router = Router(name="rating")
    router.callback_query.register(on_rating, Rate.filter())
    router.callback_query.register(on_report, Report.filter())
    router.callback_query.register(on_block, BlockPartner.filter())
    return router


async def on_rating(query: CallbackQuery, callback_data: Rate, usecases: UseCases) -> None:
    result = await usecases.rate_partner(query.from_user.id, callback_data.chat_id, int(callback_data.value))
    match result:
        case Rated():
            await query.answer(_("Thanks for the feedback!"))
            vote = "👍" if callback_data.value is Vote.LIKE else "👎"
            await show_choice(query, vote, keep=keyboards.after_chat_rated(callback_data.chat_id))
        case AlreadyRated():
            await query.answer(_("You have already rated this chat."))
        case ChatStillActive():
            await query.answer(_("The chat is still going on."))
        case NotYourChat():
            await query.answer(no_longer_active())


async def on_report(
    query: CallbackQuery, callback_data: Report, usecases: UseCases, courier: Courier, settings: Settings
) -> None:
    reason = callback_data.reason
    if reason is None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=keyboards.report_reasons(callback_data.chat_id))
        return
    result = await usecases.report_partner(query.from_user.id, callback_data.chat_id, reason.value)
    match result:
        case Reported():
            REPORTS.labels(reason.value).inc()
            if result.banned_until:
                BANS.labels("reports").inc()
            await query.answer(_("Thank you. The report was sent to the moderators."), show_alert=True)
            await show_choice(query, "🚩 " + report_reason_name(reason))
            if result.ended_chat is not None:
                # the ban ended the reported user's current chat: its other side is told
                await courier.announce_chat_end(result.ended_chat, ended_by=result.reported_id)
            for admin_id in settings.admin_ids:
                await courier.say(
                    admin_id,
                    lambda: _("🚩 New report on chat #{chat_id} ({reason}){banned}. /history {chat_id}").format(
                        chat_id=callback_data.chat_id,
                        reason=reason.value,
                        banned=_(", the user is now banned") if result.banned_until else "",
                    ),
                )
        case AlreadyReported():
            await query.answer(_("You have already reported this chat."))
        case NotYourChat():
            await query.answer(no_longer_active())


async def on_block(query: CallbackQuery, callback_data: BlockPartner, usecases: UseCases, courier: Courier) -> None:
    result = await usecases.block_partner(query.from_user.id, callback_data.chat_id)
    if not isinstance(result, Blocked):
        await query.answer(no_longer_active())
        return
    await query.answer(_("Blocked. You will never be paired with this person again."), show_alert=True)
    await show_choice(query, _("⛔ Blocked"))
    if result.ended_chat is not None:
        await courier.announce_chat_end(result.ended_chat, ended_by=query.from_user.id)
