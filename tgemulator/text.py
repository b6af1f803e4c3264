"""Telegram text formatting rules used by the Bot API emulator.

Covers what the real server does with message text before storing it:

* ``parse_mode`` ``HTML`` (producing plain text plus entities, or the server's
  "can't parse entities" errors for malformed markup); the bot sends HTML only,
  so the Markdown modes are not served;
* automatic entities (``url``, ``email``, ``mention``, ``hashtag``,
  ``cashtag``, ``bot_command``) detected in plain text;
* stripping of leading/trailing whitespace with entity adjustment;
* entity offsets and lengths in UTF-16 code units, like the Bot API.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """Malformed markup; the message mirrors the Bot API wording."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the Bot API's unit for offsets)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


class _Builder:
    __slots__ = ("parts", "pos")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, chunk: str) -> None:
        if chunk:
            self.parts.append(chunk)
            self.pos += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _link_entity(url: str, offset: int, length: int) -> Entity:
    if url.startswith("tg://user?id="):
        raw_id = url[len("tg://user?id=") :]
        if raw_id.isdigit():
            return {
                "type": "text_mention",
                "offset": offset,
                "length": length,
                "user": {"id": int(raw_id), "is_bot": False, "first_name": ""},
            }
    if url.startswith("tg://emoji?id="):
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": url[len("tg://emoji?id=") :],
        }
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


# --------------------------------------------------------------------------- HTML

_HTML_SIMPLE: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_HTML_TAGS = frozenset(_HTML_SIMPLE) | {"span", "a", "code", "pre", "blockquote", "tg-emoji"}
_HTML_SPECIAL = re.compile(r"[<&]")
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_END_TAG = re.compile(r"</\s*([a-zA-Z0-9-]*)\s*>")
_HTML_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_HTML_ATTR = re.compile(r"""\s+([a-zA-Z_:][a-zA-Z0-9_:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _html_unescape(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        return _HTML_NAMED.get(body.lower(), match.group(0))

    return _HTML_ENTITY.sub(repl, value)


def parse_html(src: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into plain text and entities."""
    out = _Builder()
    entities: list[Entity] = []
    # (tag name, utf16 start, attributes, byte offset)
    stack: list[tuple[str, int, dict[str, str], int]] = []
    i = 0
    n = len(src)
    while i < n:
        match = _HTML_SPECIAL.search(src, i)
        if match is None:
            out.add(src[i:])
            break
        start = match.start()
        out.add(src[i:start])
        i = start
        if src[i] == "&":
            ent = _HTML_ENTITY.match(src, i)
            if ent is None:
                out.add("&")
                i += 1
            else:
                out.add(_html_unescape(ent.group(0)))
                i = ent.end()
            continue
        if src.startswith("</", i):
            end = _HTML_END_TAG.match(src, i)
            if end is None:
                raise EntityParseError(f"Unexpected end of name token at byte offset {_byte_offset(src, i)}")
            name = end.group(1).lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, i)}")
            top_name, top_pos, top_attrs, _ = stack.pop()
            if name != top_name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, i)}, "
                    f'expected "</{top_name}>", found "</{name}>"'
                )
            _html_close(top_name, top_pos, top_attrs, out.pos, stack, entities)
            i = end.end()
            continue
        tag = _HTML_TAG_NAME.match(src, i)
        if tag is None:
            raise EntityParseError(f'Unsupported start tag "" at byte offset {_byte_offset(src, i)}')
        name = tag.group(1).lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, i)}')
        j = tag.end()
        attrs: dict[str, str] = {}
        while True:
            attr = _HTML_ATTR.match(src, j)
            if attr is None:
                break
            value = attr.group(2) if attr.group(2) is not None else attr.group(3)
            if value is None:
                value = attr.group(4) if attr.group(4) is not None else ""
            attrs[attr.group(1).lower()] = _html_unescape(value)
            j = attr.end()
        while j < n and src[j].isspace():
            j += 1
        if j >= n or src[j] != ">":
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, i)}")
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, i)}')
        stack.append((name, out.pos, attrs, _byte_offset(src, i)))
        i = j + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), _sorted(entities)


def _html_close(
    name: str,
    start: int,
    attrs: dict[str, str],
    end: int,
    stack: list[tuple[str, int, dict[str, str], int]],
    entities: list[Entity],
) -> None:
    length = end - start
    if name == "code" and stack and stack[-1][0] == "pre":
        cls = attrs.get("class", "")
        if cls.startswith("language-") and len(cls) > len("language-"):
            stack[-1][2]["language"] = cls[len("language-") :]
        if stack[-1][1] == start:
            return
    if length <= 0:
        return
    entity: Entity
    if name in _HTML_SIMPLE:
        entity = {"type": _HTML_SIMPLE[name], "offset": start, "length": length}
    elif name == "span":
        entity = {"type": "spoiler", "offset": start, "length": length}
    elif name == "a":
        href = attrs.get("href", "")
        if not href:
            return
        entity = _link_entity(href, start, length)
    elif name == "code":
        entity = {"type": "code", "offset": start, "length": length}
    elif name == "pre":
        entity = {"type": "pre", "offset": start, "length": length}
        if attrs.get("language"):
            entity["language"] = attrs["language"]
    elif name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        entity = {"type": kind, "offset": start, "length": length}
    else:  # tg-emoji
        entity = {
            "type": "custom_emoji",
            "offset": start,
            "length": length,
            "custom_emoji_id": attrs.get("emoji-id", ""),
        }
    entities.append(entity)


# ------------------------------------------------------------- automatic entities

_TLDS = (
    "com|org|net|ru|io|me|info|biz|dev|app|co|uk|de|fr|it|es|nl|pl|ua|by|kz|su|us|eu|"
    "xyz|ly|gg|tv|ai|in|jp|cn|br|ca|au|ch|se|no|fi|tk|cc|site|online|store|tech|pro|"
    "top|link|club|live|news|shop|fm|to|sh|am|is|li|gl|ws|mobi|name|edu|gov|tg|uz|ge"
)
_AUTO_RE = re.compile(
    r"(?P<email>(?<![\w.@+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w@]))"
    r"|(?P<url>(?<![\w@/.-])(?i:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    rf"(?i:{_TLDS})(?::[0-9]{{1,5}})?(?:/[^\s<>\"]*)?(?![\w-]))"
    r"|(?P<url2>(?<![\w@/.-])(?i:https?://)[^\s<>\"/]+(?:/[^\s<>\"]*)?)"
    r"|(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@]))"
    r"|(?P<hashtag>(?<![\w#])#[^\W\d][\w]{0,255})"
    r"|(?P<cashtag>(?<![\w$])\$[A-Z]{3,8}(?![\w]))"
)
_URL_TRAILING = ".,;:!?)'\""
_NO_AUTO_INSIDE = frozenset(
    {
        "code",
        "pre",
        "text_link",
        "url",
        "email",
        "mention",
        "text_mention",
        "bot_command",
        "hashtag",
        "cashtag",
        "custom_emoji",
    }
)


def detect_entities(text: str) -> list[Entity]:
    """Entities the server detects automatically in plain text."""
    found: list[Entity] = []
    ascii_text = text.isascii()
    for match in _AUTO_RE.finditer(text):
        kind = match.lastgroup or "url"
        start, end = match.span()
        if kind in ("url", "url2"):
            kind = "url"
            while end > start and text[end - 1] in _URL_TRAILING:
                end -= 1
        if end <= start:
            continue
        if ascii_text:
            offset, length = start, end - start
        else:
            offset, length = utf16_len(text[:start]), utf16_len(text[start:end])
        found.append({"type": kind, "offset": offset, "length": length})
    return found


def merge_entities(explicit: list[Entity], automatic: list[Entity]) -> list[Entity]:
    """Add automatic entities that don't overlap code/links from ``explicit``."""
    if not automatic:
        return explicit
    blockers = [(e["offset"], e["offset"] + e["length"]) for e in explicit if e["type"] in _NO_AUTO_INSIDE]
    merged = list(explicit)
    for entity in automatic:
        a, b = entity["offset"], entity["offset"] + entity["length"]
        if any(a < end and start < b for start, end in blockers):
            continue
        merged.append(entity)
    return _sorted(merged)


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace, shifting and clipping entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    adjusted: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end <= start:
            continue
        moved = dict(entity)
        moved["offset"] = start
        moved["length"] = end - start
        adjusted.append(moved)
    return stripped, adjusted


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[Entity] | None,
    *,
    auto: bool = True,
) -> tuple[str, list[Entity]]:
    """Apply the server-side pipeline: markup, auto entities, stripping.

    ``entities`` (when given) wins over ``parse_mode``, as on the real server.
    Raises :class:`EntityParseError` for malformed markup and ``LookupError``
    for an unknown parse mode.
    """
    if entities is not None:
        plain, found = text, [dict(e) for e in entities]
    elif parse_mode:
        mode = parse_mode.lower()
        if mode != "html":
            raise LookupError(parse_mode)
        plain, found = parse_html(text)
    else:
        plain, found = text, []
    if auto:
        found = merge_entities(found, detect_entities(plain))
    return strip_text(plain, found)
