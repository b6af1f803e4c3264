"""getMe and how updates reach the bot: getUpdates, setWebhook, deleteWebhook, getWebhookInfo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import params
from ..models import JSONDict
from ..models import bad_request
from .registry import Files
from .registry import MethodTable
from .registry import RawResult

if TYPE_CHECKING:
    from ..server import BotAPIEmulator

table = MethodTable()


@table.method("getMe", params.NoParams)
async def get_me(emu: BotAPIEmulator, p: params.NoParams, files: Files) -> JSONDict:
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@table.method("getUpdates", params.GetUpdates)
async def get_updates(emu: BotAPIEmulator, p: params.GetUpdates, files: Files) -> RawResult:
    if not emu.feed.webhook.active:
        emu.feed.set_allowed(p.allowed_updates)
    return RawResult(await emu.feed.get_updates(p.offset, p.limit, p.timeout))


@table.method("setWebhook", params.SetWebhook)
async def set_webhook(emu: BotAPIEmulator, p: params.SetWebhook, files: Files) -> bool:
    if not p.url:
        await emu.feed.delete_webhook(drop=p.drop_pending_updates)
        return True
    if not p.url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    emu.feed.set_allowed(p.allowed_updates)
    await emu.feed.set_webhook(
        p.url, secret_token=p.secret_token, max_connections=p.max_connections, drop=p.drop_pending_updates
    )
    return True


@table.method("deleteWebhook", params.DeleteWebhook)
async def delete_webhook(emu: BotAPIEmulator, p: params.DeleteWebhook, files: Files) -> bool:
    await emu.feed.delete_webhook(drop=p.drop_pending_updates)
    return True


@table.method("getWebhookInfo", params.NoParams)
async def get_webhook_info(emu: BotAPIEmulator, p: params.NoParams, files: Files) -> JSONDict:
    return emu.feed.webhook_info()
