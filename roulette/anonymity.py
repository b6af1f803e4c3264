"""What may leave the bot in a relayed message: the one rule, for texts, captions, album items
and edits alike.

Pure, like roulette/domain.py (which is at its size limit): nothing here knows about Telegram's
libraries. Entities are anything with a `type` and a `url`, as aiogram's MessageEntity has.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic
from typing import Protocol
from typing import TypeVar
from urllib.parse import unquote
from urllib.parse import urlsplit


class EntityLike(Protocol):
    """A formatting entity of a text or caption, as Telegram describes it."""

    @property
    def type(self) -> str: ...

    @property
    def url(self) -> str | None: ...


EntityT = TypeVar("EntityT", bound=EntityLike)

# t.me paths that open an account by id ("/@id123") or by phone number ("/+15551234").
_ACCOUNT_PATHS = ("/@id", "/+")
_TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"})


def opens_an_account(url: str | None) -> bool:
    """Would this link, hidden behind a text, open somebody's Telegram account?

    Every tg: link counts (user?id=, openmessage?user_id= or chat_id=, resolve?phone=, and
    whatever Telegram adds next: a legitimate message has no need of them), and so do t.me links
    to an id or a phone number. Written as tricks are: any case, blanks and invisible characters
    inside, percent-encoding (nested).
    """
    if not url:
        return False
    link = url
    for _ in range(5):  # "%2531" decodes to "%31", which decodes to "1"
        decoded = unquote(link)
        if decoded == link:
            break
        link = decoded
    link = "".join(ch for ch in link if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))
    link = link.lower().replace("\\", "/")
    if link.startswith("tg:"):
        return True
    parts = urlsplit(link if "//" in link else f"//{link}")
    host = (parts.hostname or "").rstrip(".")
    return host in _TELEGRAM_HOSTS and parts.path.startswith(_ACCOUNT_PATHS)


def reveals_someone(entity: EntityLike) -> bool:
    """A text_mention carries a user's id and names; a text_link may open an account."""
    return entity.type == "text_mention" or (entity.type == "text_link" and opens_an_account(entity.url))


@dataclass(frozen=True, slots=True)
class Outgoing(Generic[EntityT]):
    """What of one text or caption may reach the partner."""

    text: str | None
    entities: list[EntityT] | None
    # Something was removed, so the original must not be copied verbatim (a copy keeps its entities).
    cleaned: bool


def outgoing(text: str | None, entities: Sequence[EntityT] | None) -> Outgoing[EntityT]:
    """The words stay as the sender wrote them; entities that point at a Telegram account go."""
    if not entities:
        return Outgoing(text, None if entities is None else [], cleaned=False)
    kept = [entity for entity in entities if not reveals_someone(entity)]
    return Outgoing(text, kept, cleaned=len(kept) != len(entities))


@dataclass(frozen=True, slots=True)
class AlbumItem(Generic[EntityT]):
    """One message of an album, as much of it as may be sent again."""

    kind: str  # photo | video | audio | document
    file_id: str
    caption: str | None
    caption_entities: Sequence[EntityT] | None
    has_spoiler: bool = False


def outgoing_album(items: Sequence[AlbumItem[EntityT]]) -> tuple[list[AlbumItem[EntityT]], bool]:
    """An album's items with their captions cleaned, and whether any was: the album may be copied
    verbatim only if none was."""
    cleaned_items: list[AlbumItem[EntityT]] = []
    cleaned = False
    for item in items:
        caption = outgoing(item.caption, item.caption_entities)
        cleaned = cleaned or caption.cleaned
        cleaned_items.append(AlbumItem(item.kind, item.file_id, caption.text, caption.entities, item.has_spoiler))
    return cleaned_items, cleaned
