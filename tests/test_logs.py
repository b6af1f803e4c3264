"""Log lines: one event per line, as key=value pairs or, with LOG_FORMAT=json, as JSON objects."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from roulette.logs import configure_logging
from roulette.settings import load_settings
from roulette.storage.exactly_once import handle_once


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize("log_format", ["json", "JSON"])
async def test_json_logs_are_one_object_per_line_with_the_same_fields(
    log_format: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", log_format)
    settings = load_settings()
    configure_logging("INFO", settings.log_format)
    log = logging.getLogger("roulette.test")

    async def update_4242() -> None:
        log.info('a line with "quotes" and\na newline')
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")

    await handle_once(4242, update_4242, None)
    log.warning("outside an update")

    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3, lines
    first, failed, outside = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "update", "message"}
    assert (first["level"], first["logger"], first["update"]) == ("INFO", "roulette.test", 4242)
    assert first["message"] == 'a line with "quotes" and\na newline'
    assert failed["level"] == "ERROR" and "ValueError: boom" in failed["exception"]
    assert (outside["level"], outside["update"]) == ("WARNING", "-")


@pytest.mark.usefixtures("restored_logging")
def test_text_logs_stay_key_value_pairs_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("roulette.test").info("two\nlines")
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "level=INFO logger=roulette.test update=- two | lines" in line
