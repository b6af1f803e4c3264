"""Synthetic files of the emulator: ids that can be sent again, and the content dicts built from them."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from .models import JSONDict
from .models import bad_request

_FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_COMPATIBLE = {("animation", "document"), ("document", "animation")}
_PHOTO_SIZES = ((90, 90), (320, 320), (800, 800))


@dataclass(slots=True)
class _FileEntry:
    kind: str
    #: For photos: the sizes up to and including this one; otherwise the media dict.
    value: Any


class FileRegistry:
    """Synthetic file ids, remembered so that files can be re-sent by id."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._files: dict[str, _FileEntry] = {}
        self._counter = 0

    def __len__(self) -> int:
        return len(self._files)

    def _ids(self, kind: str) -> tuple[str, str]:
        self._counter += 1
        tail = secrets.token_urlsafe(12).replace("-", "A").replace("_", "B")
        file_id = f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{self._counter:07d}{tail}"
        unique = f"AQAD{self._counter:07d}{tail[:6]}"
        return file_id, unique

    def new_media(
        self,
        kind: str,
        *,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        emoji: str | None = None,
    ) -> Any:
        """Create a new synthetic file; returns the content value for ``kind``."""
        file_size = size if size is not None else self._rng.randint(10_000, 900_000)
        if kind == "photo":
            sizes: list[JSONDict] = []
            for width, height in _PHOTO_SIZES:
                file_id, unique = self._ids("photo")
                scaled = max(1, file_size * width // _PHOTO_SIZES[-1][0])
                sizes.append(
                    {
                        "file_id": file_id,
                        "file_unique_id": unique,
                        "file_size": scaled,
                        "width": width,
                        "height": height,
                    }
                )
                self._files[file_id] = _FileEntry("photo", list(sizes))
            return list(sizes)
        file_id, unique = self._ids(kind)
        media: JSONDict = {"file_id": file_id, "file_unique_id": unique, "file_size": file_size}
        if kind in ("video", "animation"):
            media.update(width=640, height=360, duration=5, mime_type="video/mp4")
            if kind == "animation":
                media["file_name"] = file_name or "animation.mp4"
        elif kind == "voice":
            media.update(duration=3, mime_type=mime_type or "audio/ogg")
        elif kind == "video_note":
            media.update(length=240, duration=4)
        elif kind == "audio":
            media.update(
                duration=120,
                performer="Sample Artist",
                title="Sample Track",
                file_name=file_name or "track.mp3",
                mime_type=mime_type or "audio/mpeg",
            )
        elif kind == "document":
            media.update(file_name=file_name or "document.pdf", mime_type=mime_type or "application/pdf")
        elif kind == "sticker":
            media.update(
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji=emoji or "🙂",
                set_name="AnochatSamples",
            )
        if mime_type and "mime_type" in media:
            media["mime_type"] = mime_type
        self._files[file_id] = _FileEntry(kind, media)
        return media

    def resolve(self, kind: str, file_id: str) -> Any:
        """Content value for a known ``file_id``; ``None`` if unknown.

        Raises :class:`ApiError` when the file exists but has another type.
        """
        entry = self._files.get(file_id)
        if entry is None:
            return None
        if entry.kind != kind and (entry.kind, kind) not in _COMPATIBLE:
            raise bad_request(f"can't use file of type {_title(entry.kind)} as {_title(kind)}")
        if entry.kind == kind:
            return entry.value if kind == "photo" else dict(entry.value)
        media = dict(entry.value)
        return media

    def adopt(self, kind: str, file_id: str) -> Any:
        """Register an unknown ``file_id`` string as a file of ``kind``."""
        value = self.new_media(kind)
        if kind == "photo":
            value[-1]["file_id"] = file_id
            self._files[file_id] = _FileEntry("photo", list(value))
            return value
        self._files.pop(str(value["file_id"]), None)
        value["file_id"] = file_id
        self._files[file_id] = _FileEntry(kind, value)
        return dict(value)


def _title(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def media_content(kind: str, media: Any) -> JSONDict:
    """Content dict for a media value (animations also carry ``document``)."""
    if kind == "animation":
        doc = {k: media[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size") if k in media}
        return {"animation": media, "document": doc}
    return {kind: media}


DICE_RANGES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


def new_poll(poll_id: str, question: str, options: list[str], **extra: Any) -> JSONDict:
    poll: JSONDict = {
        "id": poll_id,
        "question": question,
        "options": [
            {"persistent_id": str(index), "text": text, "voter_count": 0} for index, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": True,
        "members_only": False,
    }
    poll.update(extra)
    return poll
