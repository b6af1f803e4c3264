"""What may leave the bot: the pure rule, with the links an attacker would try."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roulette.anonymity import AlbumItem
from roulette.anonymity import opens_an_account
from roulette.anonymity import outgoing
from roulette.anonymity import outgoing_album


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int = 0
    length: int = 1
    url: str | None = None


ACCOUNT_LINKS = [
    "tg://user?id=123456789",
    "TG://USER?ID=123456789",
    "tg://openmessage?user_id=123456789",
    "tg://openmessage?chat_id=123456789",
    "tg://resolve?phone=15551234567",
    " tg://user?id=123456789",
    "tg ://user?id=123456789",
    "t\u200bg://user?id=123456789",
    "tg:%2F%2Fuser%3Fid%3D123456789",
    "%74%67://user?id=123456789",
    "%2574%2567://user?id=123456789",
    "tg:user?id=123456789",
    "tg:\\\\user?id=123456789",
    "https://t.me/@id123456789",
    "t.me/@id123456789",
    "HTTPS://T.ME/+15551234567",
    "https://telegram.me/@id123456789",
]
HARMLESS_LINKS = ["https://example.com/?id=123", "https://t.me/anochat_news", "https://en.wikipedia.org/wiki/Tea"]


@pytest.mark.parametrize("url", ACCOUNT_LINKS)
def test_a_link_that_opens_an_account_is_recognised_however_it_is_written(url: str) -> None:
    assert opens_an_account(url)


@pytest.mark.parametrize("url", [*HARMLESS_LINKS, None, ""])
def test_an_ordinary_link_is_not_an_account(url: str | None) -> None:
    assert not opens_an_account(url)


def test_mentions_and_account_links_go_and_everything_else_stays() -> None:
    bold = Entity("bold")
    link = Entity("text_link", url="https://example.com")
    mention = Entity("text_mention")
    account = Entity("text_link", url="tg://openmessage?user_id=42")
    result = outgoing("hi there", [bold, mention, link, account])
    assert result.text == "hi there"
    assert result.entities == [bold, link]
    assert result.cleaned


def test_a_text_without_anything_to_remove_may_be_copied_verbatim() -> None:
    assert not outgoing("hi", [Entity("bold")]).cleaned
    assert not outgoing("hi", None).cleaned and outgoing("hi", None).entities is None
    assert not outgoing(None, []).cleaned


def test_an_album_is_cleaned_item_by_item() -> None:
    mention = Entity("text_mention")
    items = [
        AlbumItem("photo", "f1", "look at Ghost", [mention, Entity("bold")], has_spoiler=True),
        AlbumItem("video", "f2", None, None),
    ]
    cleaned, changed = outgoing_album(items)
    assert changed
    assert [(item.kind, item.file_id, item.caption, item.has_spoiler) for item in cleaned] == [
        ("photo", "f1", "look at Ghost", True),
        ("video", "f2", None, False),
    ]
    assert cleaned[0].caption_entities == [Entity("bold")]
    assert outgoing_album([AlbumItem("photo", "f1", "plain", [Entity("italic")])])[1] is False


@given(st.lists(st.sampled_from(["bold", "italic", "url", "text_link", "text_mention", "code", "spoiler"])))
def test_nothing_that_reveals_someone_ever_survives(types: list[str]) -> None:
    entities = [Entity(kind, url="tg://user?id=7" if kind == "text_link" else None) for kind in types]
    result = outgoing("text", entities)
    assert result.entities is not None
    assert all(entity.type not in ("text_mention", "text_link") for entity in result.entities)
    assert result.cleaned == any(kind in ("text_mention", "text_link") for kind in types)
