"""What a simulated user does in their chat: send, edit, press buttons, react, block the bot.

Each action stores the user's message and emits the update the bot receives, as Telegram does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .chat import PrivateChat
from .files import DICE_RANGES
from .files import media_content
from .files import new_poll
from .models import CAPTION_KINDS
from .models import FILE_KINDS
from .models import EmuMessage
from .models import JSONDict
from .text import format_text
from .text import utf16_len


class SimUser(PrivateChat):
    """A simulated Telegram user (see :class:`PrivateChat` for what their chat holds)."""

    # --------------------------------------------------------------- sending
    def _ensure_can_act(self) -> None:
        if self.blocked:
            raise RuntimeError(f"{self!r} has blocked the bot; call unblock_bot() first")

    def _reply_target(self, reply_to: int | None) -> EmuMessage | None:
        if reply_to is None:
            return None
        target = self.messages.get(reply_to)
        if target is None or target.deleted:
            raise ValueError(f"no message {reply_to} in chat {self.id}")
        return target

    def _send(
        self,
        content: JSONDict,
        *,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> EmuMessage:
        self._ensure_can_act()
        target = self._reply_target(reply_to)
        self.started = True
        message = self.store_message(
            from_bot=False,
            content=content,
            method="user",
            reply_to=target,
            media_group_id=media_group_id,
        )
        self._emu.emit("message", self.id, message.to_api())
        return message

    async def send_raw(self, content: JSONDict, *, reply_to: int | None = None) -> int:
        """Send a message with an arbitrary Bot API content dict."""
        return self._send(dict(content), reply_to=reply_to).message_id

    async def send_text(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        entities: list[JSONDict] | None = None,
        parse_mode: str | None = None,
    ) -> int:
        """Send a text message; returns its message id."""
        plain, found = format_text(text, parse_mode, entities)
        if not plain:
            raise ValueError("message text is empty")
        content: JSONDict = {"text": plain}
        if found:
            content["entities"] = found
        return self._send(content, reply_to=reply_to).message_id

    async def send_command(self, command: str, args: str | None = None, *, reply_to: int | None = None) -> int:
        """Send ``/command [args]`` with a ``bot_command`` entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self.send_text(text, reply_to=reply_to, entities=entities)

    def _media_content(
        self,
        kind: str,
        *,
        caption: str | None = None,
        file_id: str | None = None,
        has_spoiler: bool = False,
        emoji: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption_entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        if kind not in FILE_KINDS:
            raise ValueError(f"not a file kind: {kind!r}")
        files = self._emu.files
        media: Any = None
        if file_id is not None:
            media = files.resolve(kind, file_id) or files.adopt(kind, file_id)
        else:
            media = files.new_media(kind, file_name=file_name, mime_type=mime_type, emoji=emoji)
        content = media_content(kind, media)
        if caption and kind in CAPTION_KINDS:
            plain, found = format_text(caption, None, caption_entities)
            if plain:
                content["caption"] = plain
            if found:
                content["caption_entities"] = found
        if has_spoiler and kind in ("photo", "video", "animation"):
            content["has_media_spoiler"] = True
        return content

    async def send_media(
        self,
        kind: str,
        caption: str | None = None,
        *,
        file_id: str | None = None,
        reply_to: int | None = None,
        has_spoiler: bool = False,
        emoji: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption_entities: list[JSONDict] | None = None,
    ) -> int:
        """Send a file message of ``kind`` (photo, video, ...); synthetic file unless ``file_id``."""
        content = self._media_content(
            kind,
            caption=caption,
            file_id=file_id,
            has_spoiler=has_spoiler,
            emoji=emoji,
            file_name=file_name,
            mime_type=mime_type,
            caption_entities=caption_entities,
        )
        return self._send(content, reply_to=reply_to).message_id

    # One line per kind for the tests; send_media takes every option.
    async def send_photo(self, caption: str | None = None) -> int:
        return await self.send_media("photo", caption)

    async def send_video(self, caption: str | None = None) -> int:
        return await self.send_media("video", caption)

    async def send_animation(self, caption: str | None = None) -> int:
        return await self.send_media("animation", caption)

    async def send_voice(self, caption: str | None = None) -> int:
        return await self.send_media("voice", caption)

    async def send_video_note(self) -> int:
        return await self.send_media("video_note")

    async def send_audio(self, caption: str | None = None) -> int:
        return await self.send_media("audio", caption)

    async def send_document(self, caption: str | None = None, *, file_name: str | None = None) -> int:
        return await self.send_media("document", caption, file_name=file_name)

    async def send_sticker(self, emoji: str = "🙂") -> int:
        return await self.send_media("sticker", emoji=emoji)

    async def send_dice(self, emoji: str = "🎲", value: int | None = None, *, reply_to: int | None = None) -> int:
        top = DICE_RANGES.get(emoji, 6)
        rolled = value if value is not None else self._emu.rng.randint(1, top)
        return self._send({"dice": {"emoji": emoji, "value": rolled}}, reply_to=reply_to).message_id

    async def send_poll(
        self,
        question: str = "Question?",
        options: Sequence[str] = ("Yes", "No"),
        *,
        is_anonymous: bool = True,
        poll_type: str = "regular",
        reply_to: int | None = None,
    ) -> int:
        poll = new_poll(
            self._emu.new_poll_id(),
            question,
            list(options),
            is_anonymous=is_anonymous,
            type=poll_type,
        )
        return self._send({"poll": poll}, reply_to=reply_to).message_id

    async def send_contact(
        self,
        phone_number: str = "+10000000000",
        first_name: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> int:
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if first_name is None:
            contact["user_id"] = self.id
        return self._send({"contact": contact}, reply_to=reply_to).message_id

    async def send_location(
        self, latitude: float = 55.7558, longitude: float = 37.6173, *, reply_to: int | None = None
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._send({"location": location}, reply_to=reply_to).message_id

    async def send_album(
        self,
        kinds: Sequence[str] = ("photo", "photo"),
        caption: str | None = None,
        *,
        reply_to: int | None = None,
        caption_entities: list[JSONDict] | None = None,
    ) -> list[int]:
        """Send several media messages sharing one ``media_group_id`` (caption on the first)."""
        if not 2 <= len(kinds) <= 10:
            raise ValueError("an album has 2-10 items")
        group_id = self._emu.new_media_group_id()
        contents = [
            self._media_content(
                kind,
                caption=caption if index == 0 else None,
                caption_entities=caption_entities if index == 0 else None,
            )
            for index, kind in enumerate(kinds)
        ]
        return [self._send(content, reply_to=reply_to, media_group_id=group_id).message_id for content in contents]

    def _own_message(self, message_id: int) -> EmuMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.from_bot:
            raise ValueError(f"{self!r} has no message {message_id} of their own to edit")
        return message

    async def edit_text(self, message_id: int, text: str, *, entities: list[JSONDict] | None = None) -> None:
        """Edit one of the user's text messages (emits ``edited_message``)."""
        self._ensure_can_act()
        message = self._own_message(message_id)
        if "text" not in message.content:
            raise ValueError("not a text message")
        plain, found = format_text(text, None, entities)
        if not plain:
            raise ValueError("message text is empty")
        content = {k: v for k, v in message.content.items() if k not in ("text", "entities")}
        content["text"] = plain
        if found:
            content["entities"] = found
        self.replace_content(message, content)
        self._emu.emit("edited_message", self.id, message.to_api())

    async def edit_caption(self, message_id: int, caption: str | None) -> None:
        """Edit (or with ``None`` remove) the caption of one of the user's media messages."""
        self._ensure_can_act()
        message = self._own_message(message_id)
        if message.kind not in CAPTION_KINDS:
            raise ValueError("message has no caption")
        content = {k: v for k, v in message.content.items() if k not in ("caption", "caption_entities")}
        if caption:
            plain, found = format_text(caption, None, None)
            if plain:
                content["caption"] = plain
            if found:
                content["caption_entities"] = found
        self.replace_content(message, content)
        self._emu.emit("edited_message", self.id, message.to_api())

    async def press(self, message_id: int, data: str) -> str:
        """Press an inline button: emits ``callback_query``; returns the query id.

        ``data`` is not checked against the keyboard (clients can forge any data).
        """
        self._ensure_can_act()
        message = self.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {self.id}")
        query_id = self._emu.new_callback_query(self)
        payload: JSONDict = {
            "id": query_id,
            "from": self.api_user,
            "message": message.to_inaccessible() if message.deleted else message.to_api(),
            "chat_instance": self.chat_instance,
            "data": data,
        }
        self._emu.emit("callback_query", self.id, payload)
        return query_id

    async def press_button(self, message_id: int, text: str) -> str:
        """Press the inline button labelled ``text`` on a bot message."""
        return await self.press(message_id, self.message(message_id).callback_data(text))

    async def react(self, message_id: int, emoji: str | None) -> None:
        """Set (or with ``None`` clear) the user's reaction on a message of the chat.

        The bot hears of it (``message_reaction``) only when its ``allowed_updates`` ask for
        reactions, as on Telegram.
        """
        self._ensure_can_act()
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            raise ValueError(f"no message {message_id} in chat {self.id}")
        old = message.user_reactions
        new = [{"type": "emoji", "emoji": emoji}] if emoji else []
        message.user_reactions = new
        self.touch(message)
        payload = {
            "chat": self.api_chat,
            "message_id": message_id,
            "user": self.api_user,
            "date": int(time.time()),
            "old_reaction": old,
            "new_reaction": new,
        }
        self._emu.emit("message_reaction", self.id, payload)

    def _member_update(self, old_status: str, new_status: str) -> None:
        bot = self._emu.bot_user
        new_member: JSONDict = {"status": new_status, "user": bot}
        if new_status == "kicked":
            new_member["until_date"] = 0
        old_member: JSONDict = {"status": old_status, "user": bot}
        if old_status == "kicked":
            old_member["until_date"] = 0
        payload = {
            "chat": self.api_chat,
            "from": self.api_user,
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        self._emu.emit("my_chat_member", self.id, payload)

    async def block_bot(self) -> None:
        """Block the bot: its sends now get 403; emits ``my_chat_member`` member -> kicked."""
        if self.blocked:
            return
        self.blocked = True
        self.touch()
        self._member_update("member", "kicked")

    async def unblock_bot(self) -> None:
        """Unblock the bot; emits ``my_chat_member`` kicked -> member."""
        if not self.blocked:
            return
        self.blocked = False
        self.started = True
        self.touch()
        self._member_update("kicked", "member")
