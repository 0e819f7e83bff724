"""The one text layer: clip, invisible characters, CSV cells, the disclaimer, atomic files."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from persona.errors import ExportError
from persona.exports import write_atomic, write_export
from persona.safe_text import escape_html, neutralize_markdown
from persona.text import (
    DISCLAIMER,
    clip,
    csv_cell,
    humanise,
    remove_invisible,
    slug,
    strip_invisible,
    synthetic_label,
)


def test_clip_cuts_at_a_word_and_marks_the_cut() -> None:
    assert clip("  short\n text ", 20) == "short text"
    assert clip("one two three four", 12) == "one two…"
    assert clip("abcdefghij", 5) == "abcd…"
    assert clip("one two three", 8, words=False) == "one two…"
    assert len(clip("word " * 100, 40)) <= 40


def test_slug_and_humanise_name_features_one_way() -> None:
    assert slug("Outdoor Gear!") == "outdoor_gear"
    assert slug("***") == "value"
    assert humanise("days_since_last_order") == "days since last order"
    assert humanise("last_order_days_ago") == "last order"


@pytest.mark.parametrize(
    "hidden",
    ["\u00ad", "\u200b", "\u200d", "\u202e", "\u2066", "\u2060", "\ufeff", "\u061c",
     "\u180e", "\U000e0041", "\U000e0000", "\x07", "\x85"],
)  # fmt: skip
def test_every_invisible_character_is_stripped(hidden: str) -> None:
    text = f"pay{hidden}ment"
    assert strip_invisible(text) == "payment"
    assert hidden not in neutralize_markdown(text) and hidden not in escape_html(text)


def test_the_whole_format_category_goes_and_visible_text_stays() -> None:
    format_chars = "".join(chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf")
    assert strip_invisible(f"a{format_chars}b") == "ab"
    kept = "Crème brûlée, 東京, tab\there\nnew line\r\n"
    assert strip_invisible(kept) == kept
    assert remove_invisible("soft\u00adhyphen\u200b") == ("softhyphen", 2)
    assert remove_invisible("bell\x07") == ("bell", 0), "ASCII controls are dropped, not counted"


@pytest.mark.parametrize(
    "prefix", ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
)
def test_csv_cells_that_could_run_as_formulas_are_neutralised(prefix: str) -> None:
    assert csv_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert csv_cell(f"   {prefix}1+1") == f"'   {prefix}1+1"


def test_csv_cells_drop_nul_and_keep_ordinary_text() -> None:
    assert csv_cell("\0=1") == "'=1"
    assert csv_cell("a - b") == "a - b"
    assert csv_cell(None) == "" and csv_cell(float("nan")) == ""
    assert csv_cell(-3) == "'-3"


def test_one_disclaimer_named_per_artefact() -> None:
    assert synthetic_label("interview").startswith("Synthetic interview: written by")
    assert synthetic_label("").startswith("Synthetic: written by")
    assert synthetic_label().endswith(DISCLAIMER[1:])
    assert "not said by real customers" in DISCLAIMER


def test_atomic_writes_sync_the_file_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = write_atomic(tmp_path / "out" / "a.csv", "x,y\r\n")
    assert target.read_bytes() == b"x,y\r\n"
    assert synced == [False, True], "the file, then the folder holding the rename"
    assert [p.name for p in target.parent.iterdir()] == ["a.csv"]


def test_an_unwritable_export_is_an_export_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="Cannot write"):
        write_export(blocker / "brief.md", "text")


def test_html_templates_escape_clean_and_defang_every_value() -> None:
    from jinja2 import UndefinedError

    from persona.render import Markup, render_html
    from ui.common import verdict_badge

    badge = verdict_badge("fail", '"><script>x</script> https://attacker.example/\u200b')
    assert "<script>" not in badge and "&lt;script&gt;" in badge
    assert "attacker.example" not in badge and "\u200b" not in badge
    assert verdict_badge("nonsense").count("unknown") == 2
    with pytest.raises(UndefinedError):
        render_html("evidence_badges")
    assert isinstance(Markup("<b>"), str)
