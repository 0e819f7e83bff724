"""Shared helpers for the trust tests and ``eval/privacy.py``: seeded data, a fake, a full run.

* :func:`seed_workspace_inputs` writes a synthetic customer table and a few documents
  carrying personal identifiers, and returns every seeded value by kind;
* :class:`SchemaFake` is the fake provider's recording model that also answers the
  persona and brief prompts with valid JSON, so a fake run gets through every step;
* :func:`run_flow` runs segment → documents → personas → interviews → panel → brief;
* :func:`find_seeded` counts which seeded values occur in some text or bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from persona.llm import ScriptedChatModel
from persona.services import Services
from segments.sample import make_customers

logger = logging.getLogger(__name__)

SEEDED_KINDS = ("customer_id", "name", "email", "phone", "iban", "card")
"""Kinds of identifiers seeded into the inputs."""

# Card numbers that pass the Luhn check (test ranges of the big networks) and that
# look like nothing else in the app's output.
CARDS = (
    "4111 1111 1111 1111",
    "5500 0055 5555 5559",
    "3782 822463 10005",
    "6011 0009 9013 9424",
    "4012 8888 8888 1881",
)

# Identifiers that appear only in the documents (not in the table).
DOC_EMAILS = ("ines.ravensworth@quillmail.example", "t.okonkwo-baptiste@fellgate-mail.example")
DOC_PHONES = ("07700 900777", "+44 20 7946 0958")
DOC_IBANS = ("GB33 BUKB 2020 1555 5555 55", "DE89370400440532013000")


@dataclass
class SeededInputs:
    """The files a run reads and every identifier value seeded into them, by kind."""

    customers: Path
    documents: list[Path]
    values: dict[str, set[str]] = field(default_factory=dict)
    min_segment_size: int = 150
    """With 800 customers in 5 segments, two segments fall below this and must stay undescribed."""

    @property
    def count(self) -> int:
        """How many distinct seeded values there are."""
        return len({v for values in self.values.values() for v in values})


def seed_workspace_inputs(folder: Path, *, n: int = 800, random_state: int = 7) -> SeededInputs:
    """Write ``customers.csv`` and three documents into ``folder``; return them and the seeds.

    Names count as seeded only when the full name is unique in the table. The
    documents carry customer ids and full names of the table as well as e-mails,
    phones, IBANs and card numbers (some of the table's, some of their own).
    """
    folder.mkdir(parents=True, exist_ok=True)
    frame, _truth = make_customers(n, random_state=random_state)
    customers = folder / "customers.csv"
    frame.to_csv(customers, index=False)
    names = frame["name"].value_counts()
    values: dict[str, set[str]] = {
        "customer_id": set(frame["customer_id"]),
        "name": {str(name) for name, count in names.items() if count == 1},
        "email": set(frame["email"]),
        "phone": set(frame["phone"].value_counts().loc[lambda c: c == 1].index),
        "iban": set(frame["iban"]),
        "card": set(CARDS),
    }
    rows = frame.sample(12, random_state=random_state)
    table_rows = list(rows.itertuples())
    faq = folder / "returns-faq.md"
    faq.write_text(
        "# Returns and refunds\n\n"
        "Refunds take up to 14 days after the parcel reaches our warehouse. "
        f"Questions go to {DOC_EMAILS[0]} or call {DOC_PHONES[0]}.\n\n"
        "## Escalations\n\n"
        + "".join(
            f"- Escalated case {r.customer_id} ({r.name}): e-mail {r.email}, phone {r.phone}, "
            f"refund to IBAN {r.iban}.\n"
            for r in table_rows[:6]
        )
        + f"\nCard on file for the test order: {CARDS[0]}. Backup card {CARDS[1]}.\n",
        encoding="utf-8",
    )
    notes = folder / "store-notes.txt"
    notes.write_text(
        "Store visit notes. Customers who shop in store like to try boots on before buying.\n"
        f"Loyalty desk: {DOC_EMAILS[1]}, {DOC_PHONES[1]}. Settlement account {DOC_IBANS[0]}.\n"
        + "".join(
            f"Follow-up with {r.name}'s family, {r.email} ({r.phone}); paid by card "
            f"{CARDS[2 + i % 3]}; "
            f"refund account {r.iban}.\n"
            for i, r in enumerate(table_rows[6:])
        )
        + f"Old supplier account {DOC_IBANS[1]}.\n",
        encoding="utf-8",
    )
    html = folder / "newsletter.html"
    html.write_text(
        "<html><body><h1>Autumn newsletter</h1><p>Our waterproof jackets are back in stock; "
        "families buy them before the school holidays.</p>"
        f"<p>Unsubscribe: <a href='mailto:{table_rows[0].email}'>{table_rows[0].email}</a></p>"
        f"<footer>Support {DOC_PHONES[0]} &middot; {DOC_EMAILS[0]}</footer></body></html>",
        encoding="utf-8",
    )
    values["email"] |= set(DOC_EMAILS)
    values["phone"] |= set(DOC_PHONES)
    values["iban"] |= set(DOC_IBANS)
    return SeededInputs(customers=customers, documents=[faq, notes, html], values=values)


def _variants(value: str) -> set[str]:
    """A value as written, without spaces, and (for JSON-escaped text) lower-cased."""
    compact = value.replace(" ", "")
    return {value, compact, value.lower(), compact.lower()}


def find_seeded(haystack: str | bytes, values: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """The seeded values (by kind) found in ``haystack``, also with spaces removed."""
    if isinstance(haystack, bytes):
        haystack = haystack.decode("utf-8", errors="replace")
    text = haystack.lower()
    compact = text.replace(" ", "")
    found: dict[str, set[str]] = {}
    for kind, kind_values in values.items():
        hits = {
            v
            for v in kind_values
            if any(variant.lower() in (compact if " " not in variant else text)
                   for variant in _variants(v))
        }  # fmt: skip
        if hits:
            found[kind] = hits
    return found


def where_seeded(folder: Path, values: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """For each file under ``folder`` holding a seeded value: the first value and its context."""
    places = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = find_seeded(data, values)
        if found:
            value = sorted(next(iter(found.values())))[0]
            text = data.decode("utf-8", errors="replace")
            at = text.lower().find(value.lower())
            places[str(path.relative_to(folder))] = (
                f"{value!r} in …{text[max(at - 120, 0) : at + 60]!r}…"
            )
    return places


def folder_bytes(folder: Path) -> bytes:
    """Every file under ``folder`` (SQLite files, HNSW segments) concatenated."""
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# --------------------------------------------------------------------------- the fake


def persona_draft(number: int) -> dict[str, Any]:
    """A valid :class:`~persona.models.PersonaDraft` whose name is ``number``-specific."""
    first = ("Maya", "Greta", "Oskar", "Priya", "Tomas", "Lena", "Ravi", "Nora")[number % 8]
    last = ("Lindqvist", "Novak", "Halden", "Moreau", "Castell", "Brandt", "Iyer", "Vance")[
        (number // 8 + number) % 8
    ]
    return {
        "name": f"{first} {last}",
        "occupation": "Primary school teacher",
        "background": "Plans purchases carefully and compares offers before buying.",
        "goals": [{"text": "Keep the family outdoors on a budget", "sources": []}],
        "challenges": [{"text": "Kit wears out fast", "sources": []}],
        "needs": [{"text": "Durable gear that lasts several seasons", "sources": []}],
        "pain_points": [{"text": "Slow refunds for returned items", "sources": []}],
        "personality": ["Practical"],
        "hobbies": ["Camping"],
        "behaviour_patterns": [{"text": "Waits for offers before buying", "sources": []}],
        "channels": ["email newsletter"],
        "quote": "If it lasts, it is worth it.",
    }


class SchemaFake(ScriptedChatModel):
    """The fake provider's recording model, answering persona and brief prompts with JSON.

    Everything else gets ``default_reply``. ``calls`` records every prompt, as in
    :class:`~persona.llm.ScriptedChatModel`.
    """

    drafts: int = 0

    def _next_reply(self, messages: list[BaseMessage], options: dict[str, Any]) -> str:
        reply = super()._next_reply(messages, options)
        system = str(messages[0].content) if messages else ""
        if system.startswith("You write one synthetic customer persona"):
            with self._lock:
                self.drafts += 1
                number = self.drafts
            return json.dumps(persona_draft(number))
        if system.startswith("You turn simulated interviews"):
            refs = [ref for ref in ("T1", "P1") if ref in "".join(str(m.content) for m in messages)]
            return json.dumps(
                {"key_findings": [{"text": "Price matters to most personas.",
                                   "refs": refs or ["T1"]}]}
            )  # fmt: skip
        return reply


def all_prompt_text(model: ScriptedChatModel) -> str:
    """Every recorded message of every call, as one string."""
    return "\n".join(str(m.content) for call in model.calls for m in call)


# --------------------------------------------------------------------------- the flow


@dataclass
class FlowReport:
    """What a full run produced."""

    segment_labels: dict[int, str]
    small_segments: dict[int, str]
    personas: list[int]
    interviews: list[int]
    panel_id: int | None
    brief_text: str
    statuses: list[str]


def run_flow(services: Services, inputs: SeededInputs, *, k: int = 5) -> FlowReport:
    """Segment, ingest, generate, interview each persona once, ask a panel, compile a brief."""
    from persona.generate import generate_personas
    from persona.insights import compile_brief, render_markdown
    from persona.interview import ask, start_interview
    from persona.knowledge import add_documents
    from persona.panel import ask_panel
    from persona.segmentation import run_segmentation

    run = run_segmentation(services, inputs.customers, k=k, id_column="customer_id")
    minimum = services.settings.min_segment_size
    labels = {s.segment_index: s.label for s in run.segments}
    small = {
        s.segment_index: s.label
        for s in run.segments
        if s.size < minimum or s.profile.get("suppressed", False)
    }
    logger.debug("segmented into %s", labels)
    add_documents(services.store, services.settings, inputs.documents)
    results = generate_personas(services)
    personas = [r.persona_id for r in results if r.persona_id is not None]
    interviews = []
    # A researcher pasting a customer's id and name into a question: masked before storing.
    name, customer = sorted(inputs.values["name"])[0], sorted(inputs.values["customer_id"])[0]
    for persona_id in personas:
        interview_id = start_interview(services, persona_id)
        ask(
            services,
            interview_id,
            f"{name} ({customer}) asked us about refunds. How do you feel about refunds?",
        )
        interviews.append(interview_id)
    question = f"What would make you buy a waterproof jacket, like {name.upper()} did?"
    panel = ask_panel(services, question) if personas else None
    brief = compile_brief(services) if personas else None
    return FlowReport(
        segment_labels=labels,
        small_segments=small,
        personas=personas,
        interviews=interviews,
        panel_id=panel.id if panel is not None else None,
        brief_text=render_markdown(brief) if brief is not None else "",
        statuses=[r.status for r in results],
    )
