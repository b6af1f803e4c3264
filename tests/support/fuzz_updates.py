"""Random but valid Telegram updates, as the JSON Telegram sends, for fuzzing the bot.

`UpdateFuzzer.next()` returns one update dict: mostly what real people do (onboarding in
order, searching, chatting in every message kind, pressing the buttons under their own
chats), mixed with what a modified client or an odd keyboard can produce: empty and
over-long texts, RTL and zero-width characters, emoji sequences, unknown fields and update
types, forged callback data (other people's chats, huge numbers, wrong prefixes), commands
with junk arguments, edits of messages nobody knows, updates from people who never pressed
/start, and verbatim redeliveries of earlier updates.

No generated text contains a user's id, name or username, so the fuzz test can require that
none of them ever reaches anyone else.
"""

from __future__ import annotations

import copy
import itertools
import random
import string
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from roulette.domain import INTEREST_CATALOG

JSON = dict[str, Any]

HUGE_NUMBERS = (2**63, 2**63 - 1, -(2**63) - 1, 2**64 + 7, 10**30, -1, 0)
ODD_TEXTS = (
    "",  # Telegram never sends it, a modified client might
    " ",
    "\u200b",  # zero-width space
    "\u200d\u200c\ufeff",  # zero-width joiner, non-joiner, BOM
    "שלום \u202eevil\u202c עולם",  # RTL with a right-to-left override
    "مرحبا بالعالم",
    "👨\u200d👩\u200d👧\u200d👦 family, 🏳️\u200d🌈 flag, 👍🏽 tone",
    "Z̷̢̛a̵͇͝l̶̰͘g̴̣̈o̸̜͠ ̷̥̄t̶̰̽e̶͙͌x̷̱̂t̴̗̀",
    "<b>not html</b> & <i>",
    "line\nbreaks\r\nand\ttabs",
    "\x1b[31mescape\x1b[0m",
    "𝕌𝕟𝕚𝕔𝕠𝕕𝕖 𝔪𝔞𝔱𝔥 ∑∫√",
    "%s %d {0} {name} $1 ' \" ; DROP TABLE users; --",
)
WORDS = (
    "hello", "how", "are", "you", "fine", "thanks", "weather", "music", "привет", "как", "дела", "hola",
    "ok", "lol", "why", "tell", "me", "about", "your", "day", "ciao", "bye", "yes", "no", "maybe",
)  # fmt: skip
COMMANDS = (
    "/start", "/search", "/next", "/stop", "/profile", "/settings", "/language", "/help", "/rules",
    "/deleteme", "/stats", "/ban", "/unban", "/history", "/setage",
)  # fmt: skip
ODD_COMMANDS = ("/start@anochat_bot", "/search@some_other_bot", "/unknown", "/START", "/s", "/", "/help@")
JUNK_ARGUMENTS = (
    "junk", "1 2 3 4", "-5", "0", "abc 12", "12 abc", "١٢٣", "  ", "9" * 40, "1.5", "💥", "\u200b",
    *(str(number) for number in HUGE_NUMBERS), f"1 {2**63 - 1}", "1 0", "1 876000", "1 876001",
)  # fmt: skip
# Edits of one's own profile and wishes, mid-chat and while searching too: ages on both sides of 18
# (an edit across it is refused), partner ages of both classes (one outside the user's own is
# refused), and wishes that may rule out the partner of the moment (the chat then ends).
AGES = (13, 15, 17, 18, 19, 30, 70)
AGE_ANSWERS = (*(str(age) for age in AGES), "how old are you?", "19, and you?")
PROFILE_EDITS = ("g:male:1", "g:female:1", "i:music:1", "i:books:1", "i:done:1", "pe:gender", "pe:interests")
WISHES = (
    "pf:gender:any", "pf:gender:male", "pf:gender:female", "pf:age:13-15", "pf:age:16-17", "pf:age:13-17",
    "pf:age:18-24", "pf:age:25-34", "pf:age:18-99", "pf:language:any", "pf:language:same",
    "pf:interests:require", "pf:interests:prefer", "pf:interests:ignore", "m:settings", "m:profile",
)  # fmt: skip
MEDIA_KINDS = ("photo", "video", "animation", "voice", "video_note", "audio", "document", "sticker")
OTHER_KINDS = ("dice", "poll", "contact", "location", "venue", "story", "game", "forwarded", "checklist_like")
STATIC_CALLBACKS = (
    "m:search", "m:cancel", "m:profile", "m:settings", "m:help", "m:bogus", "m:",
    "g:male:0", "g:female:0", "g:male:1", "g:female:1", "g:robot:0", "g:male:yes",
    "i:music:0", "i:books:1", "i:done:0", "i:done:1", "i:nonsense:0", "i::0",
    "pe:gender", "pe:age", "pe:interests", "pe:bogus",
    "pf:gender:female", "pf:gender:any", "pf:gender:robot", "pf:age:18-30", "pf:age:13-17", "pf:age:50-20",
    "pf:age:abc", "pf:age:5-500", "pf:age:99999999999999999999-1", "pf:interests:require", "pf:interests:x",
    "pf:back:", "l:en", "l:ru", "l:xx", "l:", "d:0", "d:maybe", "d:", "", ":", "::::", "x" * 64, "ü" * 32,
    "r:1", "r::1", "r:1:1:1", "rp:", "b:", "b:abc", "r:abc:1", "r:1:abc",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FuzzUser:
    """A Telegram account whose identity must never reach anyone else."""

    id: int
    first_name: str
    username: str
    language_code: str | None

    def api(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name, "username": self.username}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    @property
    def identity(self) -> tuple[str, ...]:
        return str(self.id), self.first_name, self.username


def fuzz_users(count: int, *, first_id: int = 5_000_000_000, seed: int = 0) -> list[FuzzUser]:
    """`count` users with ten-digit ids and names no generated text can contain."""
    rng = random.Random(seed)
    users = []
    for n in range(count):
        tag = "".join(rng.choices(string.ascii_uppercase, k=5))
        users.append(
            FuzzUser(
                id=first_id + n * 104_729,
                first_name=f"Qx{tag}{n}",
                username=f"qxuser_{tag.lower()}{n}",
                language_code=rng.choice(("en", "ru", "de", None, "pt-br")),
            )
        )
    return users


@dataclass
class _Person:
    """What the fuzzer remembers about one user, to make their next step plausible."""

    user: FuzzUser
    onboarding_step: int = 0
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    texts_sent: list[int] = field(default_factory=list)
    last_message_id: int = 0


class UpdateFuzzer:
    """Generates updates; `counts` tells how many of each kind it made."""

    def __init__(
        self,
        users: Sequence[FuzzUser],
        *,
        bot_user: JSON,
        seed: int = 0,
        chats_of: Callable[[int], Sequence[int]] | None = None,
        all_chats: Callable[[], Sequence[int]] | None = None,
        redelivery_rate: float = 0.03,
        strangers: int = 0,
        admin_id: int | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self._admin_id = admin_id
        self._people = [_Person(user) for user in users]
        for stranger in self._people[len(self._people) - strangers :]:
            stranger.onboarding_step = 4  # never walks through /start: an unknown user
        self._bot_user = bot_user
        self._chats_of = chats_of or (lambda _user_id: ())
        self._all_chats = all_chats or (lambda: ())
        self._redelivery_rate = redelivery_rate
        self._update_ids = itertools.count(700_000_000)
        self._query_ids = itertools.count(1)
        self._media_groups = itertools.count(1)
        self._history: list[JSON] = []
        self._pending: list[tuple[JSON, str]] = []  # the rest of an album or of onboarding
        self.counts: Counter[str] = Counter()
        #: callback query id → the user who pressed
        self.pressed_by: dict[str, int] = {}

    # --- the stream --------------------------------------------------------------------------

    def next(self) -> JSON:
        if self._pending:
            return self._emit(*self._pending.pop(0))
        if self._history and self._rng.random() < self._redelivery_rate:
            self.counts["redelivery"] += 1
            return copy.deepcopy(self._rng.choice(self._history[-200:]))
        person = self._rng.choice(self._people)
        roll = self._rng.random()
        if roll < 0.25 and person.onboarding_step < 4:
            return self._onboarding_step(person)
        if 0.25 <= roll < 0.37:
            return self._journey_step(person)
        if roll < 0.62:
            return self._message(person, self._text_payload(person), "text")
        if roll < 0.72:
            return self._media(person)
        if roll < 0.77:
            return self._other_kind(person)
        if roll < 0.85:
            return self._command(person)
        if roll < 0.95:
            return self._callback(person)
        if roll < 0.98:
            return self._edit(person)
        if roll < 0.99:
            return self._membership(person)
        return self._unknown_update(person)

    def _emit(self, update: JSON, kind: str) -> JSON:
        self.counts[kind] += 1
        if self._rng.random() < 0.05:
            self._add_unknown_fields(update)
        self._history.append(update)
        return update

    # --- plausible steps ---------------------------------------------------------------------

    def _onboarding_step(self, person: _Person) -> JSON:
        step = person.onboarding_step
        person.onboarding_step += 1
        if step == 0:
            return self._message(person, self._command_payload("/start"), "onboarding")
        if step == 1:
            data = f"g:{self._rng.choice(('male', 'female'))}:0"
            return self._callback_update(person, data, "onboarding")
        if step == 2:
            age = self._rng.choice((14, 16, 17, 18, 19, 23, 30, 45, 70))  # minors and adults
            return self._message(person, {"text": str(age)}, "onboarding")
        for tag in self._rng.sample(INTEREST_CATALOG, self._rng.randint(0, 2)):
            self._pending.append((self._callback_update(person, f"i:{tag}:0", "", record=False), "onboarding"))
        self._pending.append((self._callback_update(person, "i:done:0", "", record=False), "onboarding"))
        return self._emit(*self._pending.pop(0))

    def _journey_step(self, person: _Person) -> JSON:
        chats = list(self._chats_of(person.user.id))
        choice = self._rng.random()
        if chats and choice < 0.35:
            chat_id = self._rng.choice(chats)
            data = self._rng.choice(
                (f"r:{chat_id}:1", f"r:{chat_id}:-1", f"rp:{chat_id}::1:0", f"rp:{chat_id}:spam:1:0", f"b:{chat_id}")
            )
            return self._callback_update(person, data, "own chat button")
        if choice < 0.5:
            return self._profile_or_wishes_edit(person)
        command = self._rng.choice(("/search", "/search", "/search", "/next", "/stop"))
        return self._message(person, self._command_payload(command), "journey")

    def _profile_or_wishes_edit(self, person: _Person) -> JSON:
        roll = self._rng.random()
        if roll < 0.4:
            # Edit age, then what the user types next: an age (either side of 18) or, in a chat,
            # words to the partner, which must reach them
            typed = self._new_message(person, {"text": self._rng.choice(AGE_ANSWERS)})
            self._pending.append(({"update_id": next(self._update_ids), "message": typed}, "profile edit"))
            return self._callback_update(person, "pe:age", "profile edit")
        if roll < 0.6:
            return self._callback_update(person, self._rng.choice(PROFILE_EDITS), "profile edit")
        return self._callback_update(person, self._rng.choice(WISHES), "settings edit")

    # --- messages ----------------------------------------------------------------------------

    def _new_message(self, person: _Person, content: JSON) -> JSON:
        message_id = next(person.message_ids)
        person.last_message_id = message_id
        message: JSON = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": person.user.id, "type": "private", "first_name": person.user.first_name},
            "from": person.user.api(),
            **content,
        }
        if person.texts_sent and self._rng.random() < 0.1:
            target = self._rng.choice((self._rng.choice(person.texts_sent), 10_000 + self._rng.randint(0, 50)))
            message["reply_to_message"] = {
                "message_id": target,
                "date": int(time.time()),
                "chat": message["chat"],
                "text": "…",
            }
        return message

    def _message(self, person: _Person, content: JSON, kind: str) -> JSON:
        message = self._new_message(person, content)
        if "text" in content:
            person.texts_sent.append(message["message_id"])
        return self._emit({"update_id": next(self._update_ids), "message": message}, kind)

    def _text_payload(self, person: _Person) -> JSON:
        roll = self._rng.random()
        if roll < 0.5:
            text = " ".join(self._rng.choices(WORDS, k=self._rng.randint(1, 12)))
        elif roll < 0.75:
            text = self._rng.choice(ODD_TEXTS)
        elif roll < 0.85:
            text = self._long_text(self._rng.choice((4095, 4096, 4097, 5000, 9000)))
        else:
            text = " ".join(self._rng.choices(WORDS, k=6))
            return {"text": text, "entities": self._entities(text)}
        return {"text": text}

    def _long_text(self, length: int) -> str:
        unit = self._rng.choice(("a", "я", "👍", "word "))
        return (unit * length)[:length]

    def _entities(self, text: str) -> list[JSON]:
        """Formatting, and links to other people's accounts, which must never be relayed."""
        other = self._rng.choice(self._people).user
        length = min(5, len(text))
        return [
            {"type": "bold", "offset": 0, "length": length},
            {"type": "text_mention", "offset": 0, "length": length, "user": other.api()},
            {"type": "italic", "offset": 0, "length": length},
        ]

    def _media(self, person: _Person) -> JSON:
        kind = self._rng.choice(MEDIA_KINDS)
        unique = f"{kind}-{person.user.id % 1000}-{self._rng.randint(0, 10**6)}"
        file = {"file_id": unique, "file_unique_id": unique + "-u"}
        sized = {**file, "width": 90, "height": 90}
        contents: dict[str, JSON] = {
            "photo": {"photo": [sized]},
            "video": {"video": {**sized, "duration": 3}},
            "animation": {"animation": {**sized, "duration": 2}, "document": {**file}},
            "voice": {"voice": {**file, "duration": 4}},
            "video_note": {"video_note": {**file, "length": 240, "duration": 5}},
            "audio": {"audio": {**file, "duration": 180}},
            "document": {"document": {**file, "file_name": "notes.txt"}},
            "sticker": {"sticker": {**sized, "type": "regular", "is_animated": False, "is_video": False}},
        }
        content = contents[kind]
        if kind in ("photo", "video", "animation", "voice", "audio", "document") and self._rng.random() < 0.5:
            caption = self._rng.choice((*ODD_TEXTS[1:], self._long_text(1025), "caption"))
            content["caption"] = caption
            if self._rng.random() < 0.3 and caption:
                content["caption_entities"] = self._entities(caption)
        if kind in ("photo", "video") and self._rng.random() < 0.2:
            return self._album(person, content)
        return self._message(person, content, kind)

    def _album(self, person: _Person, first: JSON) -> JSON:
        group = f"fuzz-album-{next(self._media_groups)}"
        items = [first] + [
            {"photo": [{"file_id": f"{group}-{n}", "file_unique_id": f"{group}-{n}-u", "width": 9, "height": 9}]}
            for n in range(self._rng.randint(1, 4))
        ]
        updates = [
            {
                "update_id": next(self._update_ids),
                "message": {**self._new_message(person, item), "media_group_id": group},
            }
            for item in items
        ]
        self._pending.extend((update, "album item") for update in updates[1:])
        return self._emit(updates[0], "album item")

    def _other_kind(self, person: _Person) -> JSON:
        kind = self._rng.choice(OTHER_KINDS)
        other = self._rng.choice(self._people).user
        contents: dict[str, JSON] = {
            "dice": {"dice": {"emoji": "🎲", "value": self._rng.randint(1, 6)}},
            "poll": {
                "poll": {
                    "id": str(self._rng.randint(1, 10**9)),
                    "question": "Tea or coffee?",
                    "options": [
                        {"persistent_id": "0", "text": "Tea", "voter_count": 0},
                        {"persistent_id": "1", "text": "Coffee", "voter_count": 0},
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            },
            "contact": {"contact": {"phone_number": "+10000000000", "first_name": "Somebody"}},
            "location": {"location": {"latitude": 51.5, "longitude": -0.12}},
            "venue": {
                "venue": {
                    "location": {"latitude": 51.5, "longitude": -0.12},
                    "title": "A café",
                    "address": "1 Street",
                },
                "location": {"latitude": 51.5, "longitude": -0.12},
            },
            "story": {"story": {"chat": {"id": 777, "type": "private"}, "id": 1}},
            "game": {
                "game": {
                    "title": "A game",
                    "description": "Fun",
                    "photo": [{"file_id": "g", "file_unique_id": "g-u", "width": 1, "height": 1}],
                }
            },
            # A forward from someone else: copied, so the origin must not reach the partner.
            "forwarded": {
                "text": "forwarded words",
                "forward_origin": {"type": "user", "date": int(time.time()), "sender_user": other.api()},
            },
            "checklist_like": {"future_content": {"items": [1, 2, 3]}},
        }
        return self._message(person, contents[kind], kind)

    # --- commands and buttons ----------------------------------------------------------------

    def _command_payload(self, command: str, arguments: str | None = None) -> JSON:
        text = f"{command} {arguments}" if arguments else command
        length = len(command.encode("utf-16-le")) // 2
        return {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": length}]}

    def _command(self, person: _Person) -> JSON:
        command = self._rng.choice(COMMANDS + ODD_COMMANDS)
        arguments = self._rng.choice((None, *JUNK_ARGUMENTS))
        if command in ("/ban", "/unban", "/history") and self._rng.random() < 0.3:
            arguments = str(self._rng.choice(list(self._all_chats()) or [1]))
        if command == "/setage" and person.user.id == self._admin_id and self._rng.random() < 0.5:
            # an admin's correction, across 18 or not, of someone who may be in a chat or searching;
            # only the admin names users by id (anyone else's command is relayed as text)
            arguments = f"{self._rng.choice(self._people).user.id} {self._rng.choice(AGES)}"
        return self._message(person, self._command_payload(command, arguments), "command")

    def _callback(self, person: _Person) -> JSON:
        roll = self._rng.random()
        chats = list(self._all_chats())
        if roll < 0.4:
            data = self._rng.choice(STATIC_CALLBACKS)
        elif roll < 0.75 and chats:
            chat_id = self._rng.choice(chats)  # most likely somebody else's chat
            data = self._rng.choice(
                (f"r:{chat_id}:1", f"r:{chat_id}:-1", f"r:{chat_id}:7", f"rp:{chat_id}:abuse:0:0", f"b:{chat_id}")
            )
        else:
            number = self._rng.choice(HUGE_NUMBERS)
            data = self._rng.choice((f"r:{number}:1", f"rp:{number}:spam:1:0", f"b:{number}", f"r:1:{number}"))
        return self._callback_update(person, data, "callback")

    def _callback_update(self, person: _Person, data: str, kind: str, *, record: bool = True) -> JSON:
        query_id = str(next(self._query_ids))
        self.pressed_by[query_id] = person.user.id
        query: JSON = {
            "id": query_id,
            "from": person.user.api(),
            "chat_instance": str(person.user.id * 31),
            "data": data,
        }
        roll = self._rng.random()
        chat = {"id": person.user.id, "type": "private"}
        if roll < 0.85:
            query["message"] = {
                "message_id": 10_000 + self._rng.randint(0, 30),
                "date": int(time.time()),
                "chat": chat,
                "from": self._bot_user,
                "text": "…",
            }
        elif roll < 0.95:
            query["message"] = {"message_id": 10_000, "date": 0, "chat": chat}  # inaccessible (too old)
        else:
            query["inline_message_id"] = "inline-1"
        update = {"update_id": next(self._update_ids), "callback_query": query}
        return self._emit(update, kind) if record else update

    def _edit(self, person: _Person) -> JSON:
        known = person.texts_sent and self._rng.random() < 0.7
        message_id = self._rng.choice(person.texts_sent) if known else 900_000 + self._rng.randint(0, 1000)
        content = self._text_payload(person)
        message = {
            "message_id": message_id,
            "date": int(time.time()) - 5,
            "edit_date": int(time.time()),
            "chat": {"id": person.user.id, "type": "private"},
            "from": person.user.api(),
            **content,
        }
        return self._emit({"update_id": next(self._update_ids), "edited_message": message}, "edit")

    def _membership(self, person: _Person) -> JSON:
        kicked = self._rng.random() < 0.5
        member: JSON = {"status": "member", "user": self._bot_user}
        banned: JSON = {"status": "kicked", "user": self._bot_user, "until_date": 0}
        event = {
            "chat": {"id": person.user.id, "type": "private"},
            "from": person.user.api(),
            "date": int(time.time()),
            "old_chat_member": member if kicked else banned,
            "new_chat_member": banned if kicked else member,
        }
        return self._emit({"update_id": next(self._update_ids), "my_chat_member": event}, "membership")

    def _unknown_update(self, person: _Person) -> JSON:
        reaction = {
            "chat": {"id": person.user.id, "type": "private"},
            "message_id": max(person.last_message_id, 1),
            "user": person.user.api(),
            "date": int(time.time()),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
        update = self._rng.choice(
            (
                {"update_id": next(self._update_ids), "message_reaction": reaction},
                {"update_id": next(self._update_ids), "some_future_update": {"from": person.user.api()}},
            )
        )
        return self._emit(update, "unknown update")

    def _add_unknown_fields(self, update: JSON) -> None:
        update["future_update_field"] = {"nested": [1, "two", None]}
        for value in list(update.values()):
            if isinstance(value, dict):
                value["future_field"] = self._rng.choice((True, 42, "text", {"deep": {"er": []}}))
                if isinstance(value.get("from"), dict):
                    value["from"] = {**value["from"], "future_user_field": "x"}
