"""Buttons, the command menu and reactions: answerCallbackQuery, setMyCommands, getMyCommands,
setMessageReaction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .. import params
from ..models import CallbackAnswer
from ..models import JSONDict
from ..models import bad_request
from .outgoing import existing_message
from .outgoing import known_chat
from .registry import Files
from .registry import MethodTable

if TYPE_CHECKING:
    from ..server import BotAPIEmulator
    from ..users import SimUser

table = MethodTable()


@table.method("answerCallbackQuery", params.AnswerCallbackQuery)
async def answer_callback_query(emu: BotAPIEmulator, p: params.AnswerCallbackQuery, files: Files) -> bool:
    state = emu.callback_queries.get(p.callback_query_id)
    if state is None or state.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    state.answered = True
    answer = CallbackAnswer(p.callback_query_id, p.text, p.show_alert, p.url)
    state.user.callback_answers.append(p.text)
    state.user.callback_log.append(answer)
    state.user.touch()
    return True


def _scope_key(scope: JSONDict | None) -> str:
    if not scope or scope.get("type") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def commands_key(p: params.CommandsScope) -> tuple[str, str]:
    """Commands are kept per (scope, language), the default scope under ``"default"``."""
    return _scope_key(None if p.scope is None else params.dump(p.scope)), p.language_code


def commands_for(emu: BotAPIEmulator, user: SimUser) -> list[JSONDict]:
    """The command menu a user sees in their private chat, found the way Telegram finds it:
    the narrowest scope first, and in each scope their language before the commands for all."""
    scopes = (
        _scope_key({"type": "chat", "chat_id": user.id}),
        _scope_key({"type": "all_private_chats"}),
        _scope_key(None),
    )
    languages = (user.language_code, "") if user.language_code else ("",)
    for scope in scopes:
        for language in languages:
            commands = emu.bot_commands.get((scope, language))
            if commands:
                return list(commands)
    return []


@table.method("setMyCommands", params.SetMyCommands)
async def set_my_commands(emu: BotAPIEmulator, p: params.SetMyCommands, files: Files) -> bool:
    key = commands_key(p)
    if p.commands:
        emu.bot_commands[key] = [params.dump(command) for command in p.commands]
    else:
        emu.bot_commands.pop(key, None)
    for user in emu.users:
        user.touch()  # an open sandbox page shows the new menu at once
    return True


@table.method("getMyCommands", params.CommandsScope)
async def get_my_commands(emu: BotAPIEmulator, p: params.CommandsScope, files: Files) -> list[JSONDict]:
    return list(emu.bot_commands.get(commands_key(p), []))


@table.method("setMessageReaction", params.SetMessageReaction)
async def set_message_reaction(emu: BotAPIEmulator, p: params.SetMessageReaction, files: Files) -> bool:
    chat = known_chat(emu, p.chat_id)
    message = existing_message(chat, p.message_id, "MESSAGE_ID_INVALID")
    message.reactions = [params.dump(reaction) for reaction in p.reaction or []]
    chat.touch(message)
    return True
