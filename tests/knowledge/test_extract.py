"""Readers: visible text with page/heading kept, hidden content stripped and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.errors import DocumentError
from persona.knowledge.extract import extract
from persona.knowledge.types import Extracted
from tests.knowledge import files


def _read(path: Path) -> Extracted:
    return extract(path, path.read_bytes())


def _all_text(extracted: Extracted) -> str:
    return "\n".join(b.text + " " + (b.heading or "") for b in extracted.blocks)


def test_pdf_keeps_pages_and_drops_invisible_text_and_metadata(tmp_path: Path) -> None:
    extracted = _read(files.pdf_file(tmp_path))
    assert extracted.n_pages == 2
    assert [b.page for b in extracted.blocks] == [1, 2]
    assert "twelve minutes" in extracted.blocks[0].text
    assert "28,000 mm" in extracted.blocks[1].text
    text = _all_text(extracted)
    for canary in ("WHITECANARY", "INVISIBLECANARY", "METACANARY"):
        assert canary not in text
    assert extracted.hidden_removed == {
        "pdf_metadata_fields": 2,
        "white_text": 1,
        "pdf_invisible_text": 1,
    }


def test_docx_keeps_headings_and_tables_and_drops_hidden_runs(tmp_path: Path) -> None:
    extracted = _read(files.docx_file(tmp_path))
    headings = [b.heading for b in extracted.blocks]
    assert headings == ["Support notes", "Contact reasons", "Contact reasons"]
    table = extracted.blocks[1].text
    assert "Reason | Share" in table and "Delivery delays | 27%" in table
    text = _all_text(extracted)
    for canary in ("HIDDENCANARY", "WHITEDOCXCANARY", "TINYCANARY"):
        assert canary not in text
    assert extracted.hidden_removed == {
        "docx_hidden_runs": 1,
        "white_text": 1,
        "zero_size_text": 1,
    }


def test_html_drops_scripts_comments_hidden_and_white_text(tmp_path: Path) -> None:
    extracted = _read(files.html_file(tmp_path))
    by_heading = {b.heading: b.text for b in extracted.blocks}
    assert by_heading["Returns policy"].startswith("Return most items within sixty days.")
    assert "White on black is visible." in by_heading["Returns policy"]
    assert by_heading["Refunds"] == "Refunds arrive in five working days."
    text = _all_text(extracted)
    for canary in ("CANARYSCRIPT", "CLASSCANARY", "DISPLAYCANARY", "ATTRCANARY",
                   "COMMENTCANARY", "WHITECANARY", "Home > Help"):  # fmt: skip
        assert canary not in text
    assert extracted.hidden_removed == {
        "comments": 1,
        "hidden_elements": 3,
        "white_text": 1,
        "invisible_chars": 2,
    }


def test_markdown_sections_and_hidden_html(tmp_path: Path) -> None:
    extracted = _read(files.markdown_file(tmp_path))
    assert [(b.heading, b.text) for b in extracted.blocks] == [
        ("Trail Club", "Join for free."),
        ("Points", "Earn one point per pound."),
        ("Gold tier", "Gold members get free delivery."),
    ]
    assert extracted.hidden_removed == {"comments": 1, "hidden_elements": 1}


def test_text_encoding_is_detected(tmp_path: Path) -> None:
    extracted = _read(files.text_file(tmp_path))
    text = extracted.blocks[0].text
    assert "\u00a33.95" in text and "\u201cNext day\u201d" in text and "Caf\u00e9" in text
    assert extracted.warnings and extracted.warnings[0].startswith("decoded as")


def test_zero_width_and_tag_characters_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Pay\u200bload\u2060 with \U000e0049\U000e0047 tags\u202e.", encoding="utf-8")
    extracted = _read(path)
    assert extracted.blocks[0].text == "Payload with tags."
    assert extracted.hidden_removed == {"invisible_chars": 5}


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (files.corrupt_pdf, "damaged"),
        (files.encrypted_pdf, "encrypted"),
        (files.image_only_pdf, "no text layer"),
        (files.zip_bomb_docx, "zip bomb"),
        (files.entity_docx, "XML entity"),
    ],
)
def test_bad_documents_raise_named_errors(tmp_path: Path, make: object, needle: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(DocumentError) as caught:
        _read(path)
    assert needle in str(caught.value)
    assert caught.value.path == str(path)
    assert caught.value.hint  # every refusal says what to do


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.txt", b"   \n", "empty"),
        ("deck.pptx", b"PK\x03\x04", "unsupported file type '.pptx'"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n0000", "PNG image"),
        ("fake.docx", b"just text", "not a valid DOCX"),
        ("fake.pdf", b"just text", "not a valid PDF"),
        ("binary.txt", b"abc\x00\x01\x02def", "binary"),
        ("noext", b"hello", "no extension"),
    ],
)
def test_unreadable_inputs_name_the_problem(
    tmp_path: Path, name: str, content: bytes, needle: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=needle):
        _read(path)


def test_unsupported_type_lists_supported_types(tmp_path: Path) -> None:
    path = tmp_path / "table.xls"
    path.write_bytes(b"x")
    with pytest.raises(DocumentError) as caught:
        _read(path)
    assert ".pdf" in str(caught.value) and ".docx" in str(caught.value)
