"""The private chat between a simulated user and the bot: identity, stored messages, waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from .models import CallbackAnswer
from .models import EmuMessage
from .models import JSONDict

if TYPE_CHECKING:
    from .server import BotAPIEmulator

#: Marks an argument that was not given (``None`` is a value: "remove the keyboard").
UNSET: Any = object()


class PrivateChat:
    """A simulated user's private chat with the bot: who the user is, every message, waiting.

    The chat id is the user id. ``messages`` indexes the whole chat by message id (both
    directions, in order); ``inbox`` lists what the bot sent, ``outbox`` what the user sent.
    What the user does lives in :class:`tgemulator.users.SimUser`.
    """

    def __init__(
        self,
        emulator: BotAPIEmulator,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool = False,
    ) -> None:
        self._emu = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.api_user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        self.api_chat: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                self.api_user[key] = value
                self.api_chat[key] = value
        if language_code:
            self.api_user["language_code"] = language_code
        if is_premium:
            self.api_user["is_premium"] = True
        self.messages: dict[int, EmuMessage] = {}
        self.inbox: list[EmuMessage] = []
        self.outbox: list[EmuMessage] = []
        self.callback_answers: list[str | None] = []
        self.callback_log: list[CallbackAnswer] = []
        #: Last reply keyboard the bot showed (``None`` after remove_keyboard).
        self.reply_keyboard: JSONDict | None = None
        self.blocked = False
        #: Whether the user ever wrote to the bot (see ``EmulatorConfig.require_start``).
        self.started = False
        #: Chat revision, bumped by every change visible in the chat.
        self.rev = 0
        self.chat_instance = str(-(user_id * 7919 + 13) % 10**18)
        self._next_message_id = 1
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    # ----------------------------------------------------------------- views
    def message(self, message_id: int) -> EmuMessage:
        """A message of this chat by id (``KeyError`` if unknown)."""
        return self.messages[message_id]

    def to_dict(self) -> JSONDict:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "blocked": self.blocked,
            "started": self.started,
            "message_count": len(self.messages),
            "rev": self.rev,
        }

    # -------------------------------------------------------------- storage
    def wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def touch(self, message: EmuMessage | None = None) -> None:
        self.rev += 1
        if message is not None:
            message.rev = self.rev
        self.wake_waiters()

    def store_message(
        self,
        *,
        from_bot: bool,
        content: JSONDict,
        method: str,
        reply_to: EmuMessage | None = None,
        reply_markup: JSONDict | None = None,
        protect_content: bool = False,
        media_group_id: str | None = None,
        copied_from: tuple[int, int] | None = None,
    ) -> EmuMessage:
        message_id = self._next_message_id
        self._next_message_id += 1
        message = EmuMessage(
            chat_id=self.id,
            message_id=message_id,
            from_bot=from_bot,
            content=content,
            date=int(time.time()),
            sender=self._emu.bot_user if from_bot else self.api_user,
            chat=self.api_chat,
            method=method,
            reply_to=reply_to,
            reply_markup=reply_markup,
            protect_content=protect_content,
            media_group_id=media_group_id,
            copied_from=copied_from,
            stored_at=time.perf_counter(),
        )
        self.messages[message_id] = message
        if from_bot:
            self.inbox.append(message)
            if reply_markup is not None:
                if "keyboard" in reply_markup:
                    self.reply_keyboard = reply_markup
                elif "remove_keyboard" in reply_markup:
                    self.reply_keyboard = None
        else:
            self.outbox.append(message)
        self.touch(message)
        return message

    def replace_content(
        self,
        message: EmuMessage,
        content: JSONDict | None,
        reply_markup: JSONDict | None | Any = UNSET,
        *,
        mark_edited: bool = True,
    ) -> None:
        message.edit_history.append(
            {
                "content": message.content,
                "reply_markup": message.reply_markup,
                "edit_date": message.edit_date,
            }
        )
        if content is not None:
            message.content = content
        if reply_markup is not UNSET:
            message.reply_markup = reply_markup
        if mark_edited:
            message.edit_date = int(time.time())
        self.touch(message)

    # --------------------------------------------------------------- waiting
    async def wait_changed(self, timeout: float) -> bool:
        """Wait until anything in this chat changes; ``False`` on timeout."""
        if timeout <= 0:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def _wait_until(self, check: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0 or self._emu.closing:
                raise TimeoutError(f"{self!r}: timed out after {timeout}s waiting for {what}")
            await self.wait_changed(remaining)

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[EmuMessage]:
        """Wait until the bot has sent at least ``count`` messages to this user."""
        result: list[EmuMessage] = await self._wait_until(
            lambda: list(self.inbox) if len(self.inbox) >= count else None,
            timeout,
            f"{count} bot messages (have {len(self.inbox)})",
        )
        return result

    async def wait_for(
        self,
        predicate: Callable[[EmuMessage], bool],
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> EmuMessage:
        """First bot message (id > ``after`` if given) matching ``predicate``.

        Edits count: a message that starts matching after an edit is returned.
        """

        def check() -> EmuMessage | None:
            for message in self.inbox:
                if after is not None and message.message_id <= after:
                    continue
                if predicate(message):
                    return message
            return None

        result: EmuMessage = await self._wait_until(check, timeout, "a matching bot message")
        return result

    async def wait_for_text(
        self,
        fragment: str,
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> EmuMessage:
        """First bot message whose text or caption contains ``fragment``."""
        return await self.wait_for(lambda m: fragment in m.body, timeout, after=after)

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        def check() -> CallbackAnswer | None:
            for answer in self.callback_log:
                if answer.query_id == query_id:
                    return answer
            return None

        result: CallbackAnswer = await self._wait_until(check, timeout, f"an answer to callback query {query_id}")
        return result
