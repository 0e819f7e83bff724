"""Customer ids and names from the project's tables are masked in text (persona/identifiers.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from persona.identifiers import KnownIdentifiers, identifier_rows, known_identifiers
from persona.repos.identifiers import project_salt, record_identifiers, recorded_count
from persona.store import Store

ROLES = {
    "customer_id": "identifier",
    "name": "personal",
    "email": "personal",
    "street": "personal",
    "age": "numeric",
    "city": "categorical",
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "persona.db")


def _known(store: Store, frame: pd.DataFrame, roles: dict[str, str] = ROLES) -> KnownIdentifiers:
    project_id = store.project_id("default")
    rows = identifier_rows(project_salt(store, project_id), frame, roles)
    with store.transaction() as db:
        record_identifiers(db, project_id, rows)
    return known_identifiers(store, project_id)


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["NW000123", "NW000124", "17", "88812"],
            "name": ["Maya Lindqvist", "Anna-Lena Ödegaard", "Will Rose", "Tomas de la Cruz"],
            "email": ["maya@example.com", "al@example.org", "w@example.net", "t@example.com"],
            "street": ["12 Harbour Road", "Via Roma 3", "1 High St", "Calle Mayor 5"],
            "age": [34, 51, 29, 44],
            "city": ["Oslo", "Bergen", "York", "Cadiz"],
        }
    )


def test_ids_names_and_addresses_are_masked_in_any_case_and_punctuation(store: Store) -> None:
    known = _known(store, _customers())
    text = (
        "Complaint from MAYA LINDQVIST (customer NW000123): the jacket leaked.\n"
        "Maya Lindqvist's refund went to 12 Harbour Road; ticket for nw000124, "
        "Anna-Lena Ödegaard. Tomas de la\nCruz called twice about 88812."
    )
    masked, counts = known.scrub(text)
    assert masked == (
        "Complaint from [NAME] (customer [CUSTOMER_ID]): the jacket leaked.\n"
        "[NAME]'s refund went to [ADDRESS]; ticket for [CUSTOMER_ID], "
        "[NAME]. [NAME] called twice about [CUSTOMER_ID]."
    )
    assert counts == {"customer_id": 3, "name": 4, "address": 1}


def test_ordinary_words_and_short_numbers_stay(store: Store) -> None:
    """Customer ``17`` and a lone first name must not mask ordinary text."""
    known = _known(store, _customers())
    text = "Refunds take 17 days. Will the rose jacket fit Maya? Oslo and York stores. Age 34."
    assert known.scrub(text) == (text, {"customer_id": 0, "name": 0, "address": 0})


def test_raw_values_are_never_stored(store: Store, tmp_path: Path) -> None:
    _known(store, _customers())
    store.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for value in ("NW000123", "Lindqvist", "Harbour", "88812"):
        assert value.encode() not in data and value.lower().encode() not in data


def test_columns_the_pattern_scrub_covers_are_not_recorded(store: Store) -> None:
    """E-mails are masked by shape; recording them would only cost memory."""
    frame = _customers()[["customer_id", "email"]]
    rows = identifier_rows(b"k" * 16, frame, ROLES)
    assert len(rows) == 3  # NW000123, NW000124, 88812; not "17", not the e-mails
    assert {kind for kind, _digest, _n in rows} == {"customer_id"}


def test_salt_differs_by_project_and_digests_do_not_cross_projects(store: Store) -> None:
    first = _known(store, _customers())
    other = known_identifiers(store, store.project_id("other"))
    assert len(first) > 0 and len(other) == 0
    assert project_salt(store, store.project_id("other")) != first.salt
    assert other.scrub("Maya Lindqvist") == (
        "Maya Lindqvist",
        {"customer_id": 0, "name": 0, "address": 0},
    )


def test_recording_twice_keeps_one_digest_per_value(store: Store) -> None:
    project_id = store.project_id("default")
    rows = identifier_rows(project_salt(store, project_id), _customers(), ROLES)
    for expected in (len(rows), 0):  # the second time nothing is new
        with store.transaction() as db:
            assert record_identifiers(db, project_id, rows) == expected
    assert recorded_count(store, project_id) == len(rows)
    again = known_identifiers(store, project_id)
    stored = store.query_one("SELECT COUNT(*) AS n FROM known_identifiers WHERE kind != 'start'")
    assert stored is not None and stored["n"] == len(again)


def test_no_known_identifiers_leaves_text_alone() -> None:
    assert KnownIdentifiers().scrub("NW000123 Maya Lindqvist") == (
        "NW000123 Maya Lindqvist",
        {"customer_id": 0, "name": 0, "address": 0},
    )
