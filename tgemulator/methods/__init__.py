"""The Bot API methods the emulator serves, one module per family.

The bot calls getMe, getUpdates, setWebhook, deleteWebhook, setMyCommands, sendMessage,
copyMessage, copyMessages, editMessageText, editMessageCaption, editMessageReplyMarkup,
deleteMessage, answerCallbackQuery and setMessageReaction; the rest here (sendPhoto and its
siblings, sendMediaGroup, getMyCommands, getWebhookInfo) is what the tests and the sandbox use.
Any other method is ``404 Not Found: method not found``, as Telegram answers an unknown one.
"""

from __future__ import annotations

from . import copying
from . import editing
from . import interaction
from . import sending
from . import updates
from .registry import Files
from .registry import Method
from .registry import RawResult

__all__ = ["METHODS", "Files", "Method", "RawResult"]

#: Served methods by lower-case name (Telegram's method names are case-insensitive).
METHODS: dict[str, Method] = {
    method.name.lower(): method
    for family in (updates, sending, copying, editing, interaction)
    for method in family.table.methods
}
