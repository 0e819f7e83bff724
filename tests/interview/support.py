"""Test helpers for interviews: personas inserted directly, and scripted chat models.

Personas are built with the pydantic :class:`~persona.models.Persona` API and
stored as version 1 of a persona without a segment, which is all the interview
code needs; no segmentation or generation runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from persona.errors import ProviderError
from persona.models import Evidence, EvidencedItem, Persona, SegmentFacts
from persona.services import Services
from persona.store import dumps, utc_now
from segments.facts import Fact, Statistic, facts_view

INFERRED = Evidence(kind="inferred", note="written by the model")


def _share(feature: str, category: str, share: float, base: float | None = None) -> list[Fact]:
    """A category label's share in the segment (and among all customers), in percent."""
    facts = [Fact.of("label_share", share, unit="percent", feature=feature, category=category)]
    if base is not None:
        facts.append(
            Fact.of("label_base_share", base, unit="percent", feature=feature, category=category)
        )
    return facts


def _numeric(feature: str, **values: float) -> list[Fact]:
    """Statistics of a numeric feature (``vs_base`` in percent, the others in its unit)."""
    return [
        Fact.of(
            cast(Statistic, name),
            value,
            unit="percent" if name == "vs_base" else "value",
            feature=feature,
        )
        for name, value in values.items()
    ]


MAYA_FACTS: list[Fact] = [
    Fact.of("size", 480, unit="count"),
    Fact.of("share", 24.0, unit="percent"),
    *_numeric("age", median=39.0, q1=36.0, q3=42.0),
    *_numeric("price_sensitivity", median=4.0, vs_base=27.2),
    *_numeric("spend_12m", median=353.73, vs_base=-51.1),
    *_share("churned", "true", 30.0, 16.7),
    *_share("preferred_channel", "email", 73.8, 40.0),
    *_share("preferred_channel", "app", 4.0, 30.0),
    *_share("preferred_channel", "store", 22.2, 30.0),
]
MAYA_STATS: dict[str, float | int | str] = facts_view(MAYA_FACTS)

GRETA_FACTS: list[Fact] = [
    Fact.of("size", 320, unit="count"),
    Fact.of("share", 16.0, unit="percent"),
    *_numeric("age", median=47.0),
    *_numeric("price_sensitivity", median=2.0, vs_base=-51.5),
    *_numeric("spend_12m", median=1620.5, vs_base=217.9),
    *_share("eco_conscious", "true", 74.4, 39.7),
    *_share("preferred_channel", "email", 30.0),
    *_share("preferred_channel", "store", 60.0),
    *_share("preferred_channel", "app", 10.0),
]
GRETA_STATS: dict[str, float | int | str] = facts_view(GRETA_FACTS)


def item(text: str, *evidence: Evidence) -> EvidencedItem:
    """An evidenced item (inferred unless evidence is given)."""
    return EvidencedItem(text=text, evidence=list(evidence) or [INFERRED])


def maya() -> Persona:
    """A price-sensitive, e-mail-first persona with one document-backed pain point."""
    return Persona(
        name="Maya Lindqvist",
        age=item("39", Evidence(kind="stat", stat="age_median", value=39.0)),
        occupation=item("Teacher"),
        background=item("Lives with her family near the hills and walks every weekend."),
        goals=[item("Keep the family dry on long walks")],
        needs=[item("Durable jackets that last several seasons")],
        pain_points=[
            item(
                "Refunds for returned jackets take weeks",
                Evidence(kind="doc", chunk_id="faq-1", file="faq.txt", page=None),
            )
        ],
        channels=[
            item(
                "email",
                Evidence(kind="stat", stat="preferred_channel_email_share_pct", value=73.8),
            )
        ],
        quote=item("Good gear should last."),
        facts=SegmentFacts(
            segment_id=1,
            segment_index=0,
            label="High price sensitivity, preferred channel: email",
            size=480,
            share=0.24,
            statistics=MAYA_STATS,
            facts=MAYA_FACTS,
        ),
    )


def greta() -> Persona:
    """A premium, store-first, sustainability-minded persona."""
    return Persona(
        name="Greta Novak",
        background=item("Runs a design studio and buys carefully chosen gear."),
        needs=[item("Sustainable materials")],
        channels=[
            item("store", Evidence(kind="stat", stat="preferred_channel_store_share_pct", value=60))
        ],
        quote=item("Quality over quantity."),
        facts=SegmentFacts(
            segment_id=2,
            segment_index=1,
            label="High spend 12m, low price sensitivity",
            size=320,
            share=0.16,
            statistics=GRETA_STATS,
            facts=GRETA_FACTS,
        ),
    )


def add_persona(services: Services, persona: Persona) -> int:
    """Store ``persona`` as version 1 of a new persona of the project; return its id."""
    now = utc_now()
    with services.store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO personas (project_id, segment_id, name, current_version, created_at) "
            "VALUES (?, NULL, ?, 1, ?)",
            (services.project_id, persona.name, now),
        )
        persona_id = int(cursor.lastrowid or 0)
        db.execute(
            "INSERT INTO persona_versions (persona_id, version, data_json, origin, model, "
            "report_json, created_at) VALUES (?, 1, ?, 'generated', 'test', '{}', ?)",
            (persona_id, dumps(persona.model_dump(mode="json", exclude_none=True)), now),
        )
    return persona_id


class RoutingChatModel(BaseChatModel):
    """A fake chat model whose reply is computed from the prompt; records every call.

    ``reply(messages)`` returns the text; ``delay`` seconds pass before each
    streamed word; ``fail_after`` words into a stream, it raises ProviderError.
    """

    reply: Callable[[list[BaseMessage]], str]
    delay: float = 0.0
    fail_after: int | None = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "test-routing"

    def _text(self, messages: list[BaseMessage]) -> str:
        with self._lock:
            self.calls.append(list(messages))
        return self.reply(messages)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self._text(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._text(messages)
        for number, word in enumerate(text.split(" ")):
            if self.fail_after is not None and number >= self.fail_after:
                raise ProviderError("the test model failed mid-answer")
            if self.delay:
                time.sleep(self.delay)
            piece = word if number == 0 else " " + word
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def is_summary_call(messages: list[BaseMessage]) -> bool:
    """True for the summariser's prompt."""
    return str(messages[0].content).startswith("You keep short notes")
