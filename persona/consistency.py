"""A deterministic guard that flags answers contradicting a persona's facts.

A persona's answers are simulated; the guard checks them against what the data
says, with plain code and no model (OWASP LLM09, 2025: cross-verification), and
returns :class:`Flag` s that are stored with the answer and shown next to it:

* ``number`` — a number that matches no fact of the segment (and was not in the
  question or in the persona's own profile);
* ``channel`` — the answer says the persona uses a channel that the segment's
  data says few of its customers prefer (under :data:`CHANNEL_MIN_SHARE_PCT`),
  or one that is neither in the data nor among the persona's channels;
* ``preference`` — a stated preference that contradicts a trait the data shows
  (a price-sensitive segment saying "price doesn't matter");
* ``character`` — the answer steps out of the persona ("as an AI …");
* ``link`` — the answer contains a URL or Markdown/HTML markup;
* ``gate`` — the model's answer failed the quality gate
  (:mod:`persona.evidence.gate`) and the persona answered from its evidence
  (set by the interview session, not by :func:`check_answer`);
* ``loop`` — the answer began to repeat itself and was stopped there (set by
  the interview session while the answer streams).

:func:`segment_traits` reads the traits (high or low against all customers)
from the facts; the interview prompt uses them too, so the persona is told to
object and prioritise the way its data suggests.

The checks favour precision: a sentence containing a negation is not read as a
claim of use, and preferences are matched as fixed phrases. A clean result is
not proof of consistency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from persona.facts import fact_values, find_numbers, format_value, match_number
from persona.models import Persona, SegmentFacts
from segments.facts import Statistic, slug

__all__ = [
    "CHANNEL_MIN_SHARE_PCT",
    "ChannelUse",
    "Flag",
    "FlagKind",
    "Trait",
    "channel_use",
    "channels_in",
    "check_answer",
    "segment_traits",
]

FlagKind = Literal[
    "number",
    "channel",
    "preference",
    "character",
    "link",
    "override",
    "empty",
    "repeat",
    "gate",
    "loop",
]

CHANNEL_MIN_SHARE_PCT = 10.0
"""A channel preferred by fewer of the segment's customers than this is "not used"."""

TRAIT_MIN_DIFF_PCT = 20.0
"""A numeric feature this many percent above (below) all customers is a high (low) trait."""

TRAIT_MIN_RATIO = 1.3
"""A yes/no feature this many times as common (or 1/x as rare) as overall is a trait."""


class Flag(BaseModel):
    """One problem found in an answer: what kind, a message for people, the words, the fact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FlagKind
    message: str = Field(max_length=400)
    text: str = Field(default="", max_length=200)
    fact: str | None = None


# --------------------------------------------------------------------------- traits


@dataclass(frozen=True)
class _TraitRule:
    key: str
    columns: re.Pattern[str]
    high: str
    low: str
    high_attitude: str
    low_attitude: str
    contradicts_high: re.Pattern[str] | None
    contradicts_low: re.Pattern[str] | None
    high_words: tuple[str, ...]
    low_words: tuple[str, ...] = ()


def _phrases(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_NOT = r"(?:don't|dont|do not|never)"
_DOESNT = r"(?:doesn't|doesnt|does not|don't|dont)"

_RULES: tuple[_TraitRule, ...] = (
    _TraitRule(
        key="price",
        columns=re.compile(r"price|discount|deal_seek|bargain", re.I),
        high="more price-sensitive than most customers",
        low="less price-sensitive than most customers",
        high_attitude="Price matters a lot to you: question costs, object to price rises "
        "and to paying extra for things you do not need.",
        low_attitude="Quality and convenience matter more to you than price; you do not "
        "chase the cheapest offer.",
        contradicts_high=_phrases(
            rf"price {_DOESNT} matter",
            rf"{_NOT} (?:really )?(?:care|worry|think) (?:much )?about (?:the )?(?:price|cost)s?",
            r"money is no (?:object|issue)",
            r"(?:happy|glad|willing) to pay (?:more|extra|a premium|full price)",
            rf"{_NOT} mind paying",
            r"price is not (?:important|an issue)",
            rf"cost {_DOESNT} matter",
            r"never (?:look at|check|compare) (?:the )?prices?",
        ),
        contradicts_low=_phrases(
            r"(?:always|only) (?:buy|look for|choose|go for) the cheapest",
            r"only (?:buy|shop) (?:on|in the|during) (?:sales?|discounts?)",
            r"wait for (?:a |the )?(?:sales?|discounts?)",
            r"price is (?:the most important|all that matters|everything)",
            r"every (?:penny|pound|cent|euro|dollar) counts",
            r"(?:on|have) a (?:tight|strict) budget",
            r"can(?:'|no)t afford",
        ),
        high_words=(
            "price",
            "prices",
            "cost",
            "costs",
            "cheap",
            "cheaper",
            "expensive",
            "discount",
            "discounts",
            "deal",
            "deals",
            "afford",
            "sale",
            "sales",
            "budget",
            "money",
        ),
        low_words=("premium", "quality"),
    ),
    _TraitRule(
        key="sustainability",
        columns=re.compile(r"eco|sustain|green|environment", re.I),
        high="more concerned with sustainability than most customers",
        low="less concerned with sustainability than most customers",
        high_attitude="Sustainability matters to you: ask how things are made and object to waste.",
        low_attitude="Sustainability is not what drives your choices.",
        contradicts_high=_phrases(
            rf"{_NOT} (?:really )?care about (?:the )?(?:environment|sustainability|planet|eco)",
            rf"sustainability {_DOESNT} matter",
            r"(?:environment|sustainability) is not (?:important|my concern|a priority)",
        ),
        contradicts_low=_phrases(
            r"sustainability is (?:very |really |so |the most )?important to me",
            r"(?:only|always) buy (?:eco|sustainable|green|organic)",
            r"(?:care|worry) (?:a lot|deeply|so much) about the (?:environment|planet)",
        ),
        high_words=(
            "sustainable",
            "sustainability",
            "eco",
            "environment",
            "environmental",
            "green",
            "recycled",
            "planet",
            "waste",
        ),
        low_words=(),
    ),
    _TraitRule(
        key="frequency",
        columns=re.compile(r"orders|frequency|purchases|visits|transactions", re.I),
        high="buying more often than most customers",
        low="buying less often than most customers",
        high_attitude="You buy often and know the shop well.",
        low_attitude="You buy rarely; you are not a regular.",
        contradicts_high=_phrases(
            r"(?:rarely|seldom|hardly ever|almost never) (?:buy|shop|order)",
            r"(?:buy|shop|order) (?:once a year|very rarely|only occasionally)",
        ),
        contradicts_low=_phrases(
            r"(?:buy|shop|order)\w* (?:from you |with you |here )?(?:every|each) (?:day|week)",
            r"(?:buy|shop|order) (?:all the time|constantly|very often|every few days)",
        ),
        high_words=("often", "regular", "regularly", "frequent", "frequently"),
        low_words=("rarely", "occasional", "occasionally"),
    ),
    _TraitRule(
        key="recency",
        columns=re.compile(r"days_since|recency|since_last", re.I),
        high="much longer without a purchase than most customers",
        low="more recent buyers than most customers",
        high_attitude="You have not bought for a long time and have drifted away: be "
        "sceptical, say what would bring you back.",
        low_attitude="You bought recently.",
        contradicts_high=_phrases(
            r"(?:ordered|bought|shopped)(?: from you| with you| here)? "
            r"(?:yesterday|last week|this week|recently|a few days ago)",
        ),
        contradicts_low=_phrases(
            r"haven'?t (?:ordered|bought|shopped)(?: from you| with you| here)? "
            r"(?:in|for) (?:ages|months|a year|a long time)",
        ),
        high_words=("lapsed", "stopped", "drifted", "away", "win back", "come back"),
        low_words=("recent", "recently"),
    ),
    _TraitRule(
        key="spend",
        columns=re.compile(r"spend|monetary|revenue|basket|order_value|aov", re.I),
        high="spending more than most customers",
        low="spending less than most customers",
        high_attitude="You spend generously when something is worth it.",
        low_attitude="You spend little and keep baskets small.",
        contradicts_high=_phrases(
            r"(?:spend|spent) (?:very little|hardly anything|almost nothing)",
            r"only buy (?:cheap|small) (?:things|items|stuff)",
        ),
        contradicts_low=_phrases(
            r"(?:spend|spent) (?:a lot|a fortune|loads|heaps|lots)",
            r"(?:buy|choose) (?:the most expensive|premium|top of the range)",
        ),
        high_words=("premium", "spend", "spending", "splurge", "invest"),
        low_words=("budget", "cheap", "small", "affordable"),
    ),
    _TraitRule(
        key="technology",
        columns=re.compile(r"tech|app_session|digital|online_share|web_session", re.I),
        high="more at home with apps and technology than most customers",
        low="less at home with apps and technology than most customers",
        high_attitude="You are comfortable with apps and digital tools and expect them to "
        "work well.",
        low_attitude="You are not keen on apps and technology; you prefer simple, personal "
        "ways of buying.",
        contradicts_high=_phrases(
            rf"{_NOT} use (?:apps|smartphones?|the internet|technology)",
            r"(?:not good|hopeless|bad) with (?:technology|apps|computers|phones)",
            r"(?:hate|dislike|avoid) (?:apps|technology)",
        ),
        contradicts_low=_phrases(
            r"(?:love|adore) (?:apps|technology|gadgets|my phone)",
            r"(?:always|constantly) on (?:my phone|the app)",
            r"tech[- ]savvy",
            r"early adopter",
        ),
        high_words=("app", "apps", "technology", "digital", "online", "website", "mobile"),
        low_words=("personal", "person", "store", "phone", "simple", "staff"),
    ),
    _TraitRule(
        key="churn",
        columns=re.compile(r"churn|lapsed|cancel", re.I),
        high="far more likely than most customers to have stopped buying",
        low="more loyal than most customers",
        high_attitude="Many customers like you have stopped buying: you are not loyal, "
        "and you do not love every idea.",
        low_attitude="You are a loyal customer, though not an uncritical one.",
        contradicts_high=_phrases(
            r"(?:very|really|always|extremely) loyal",
            r"(?:would|will) never (?:switch|leave|shop elsewhere)",
            r"always come back",
            r"(?:only|exclusively) shop (?:with|at) you",
        ),
        contradicts_low=_phrases(
            r"(?:stopped|quit) (?:buying|shopping|ordering) (?:from|with|at) you",
            r"switched to (?:another|a competitor)",
            r"no longer shop (?:with|at) you",
        ),
        high_words=("switch", "leave", "competitor", "competitors", "stopped", "cancel", "lapsed"),
        low_words=("loyal", "loyalty", "regular"),
    ),
    _TraitRule(
        key="campaigns",
        columns=re.compile(r"respon|campaign|promo|newsletter_open", re.I),
        high="more responsive to marketing campaigns than most customers",
        low="less responsive to marketing campaigns than most customers",
        high_attitude="Offers and campaigns do catch your attention.",
        low_attitude="Marketing campaigns rarely move you.",
        contradicts_high=_phrases(
            r"(?:ignore|delete|never open|never read) (?:all |your |the )?"
            r"(?:emails|newsletters|offers|campaigns|promotions)",
        ),
        contradicts_low=_phrases(
            r"(?:always|usually) (?:open|read|click|respond to|act on) (?:your|the) "
            r"(?:emails|newsletters|offers|campaigns|promotions)",
        ),
        high_words=(
            "campaign",
            "campaigns",
            "offer",
            "offers",
            "promotion",
            "promotions",
            "newsletter",
            "newsletters",
            "marketing",
        ),
        low_words=(),
    ),
    _TraitRule(
        key="returns",
        columns=re.compile(r"return", re.I),
        high="more likely than most customers to return items",
        low="less likely than most customers to return items",
        high_attitude="You send things back when they do not fit or disappoint.",
        low_attitude="You rarely send anything back.",
        contradicts_high=_phrases(
            r"\bI (?:never|rarely) (?:return|send back) (?:anything|things|items|products)"
        ),
        contradicts_low=_phrases(
            r"\bI (?:usually |often |always )?(?:return|send back) "
            r"(?:most|lots of|almost everything)"
        ),
        high_words=("return", "returns", "refund", "refunds", "fit", "size", "sizing"),
        low_words=(),
    ),
)


@dataclass(frozen=True)
class Trait:
    """A way the segment differs from all customers, read from one fact.

    ``level`` is ``high`` or ``low``; ``fact``/``value`` name the statistic;
    ``description`` completes "This segment's customers are …"; ``attitude`` is the line the
    interview prompt gives the persona; ``keywords`` are words an insight uses when
    it is about this trait *in this direction* (briefs use them to link data).
    """

    key: str
    level: Literal["high", "low"]
    feature: str
    fact: str
    value: float
    description: str
    attitude: str
    keywords: tuple[str, ...]
    statistic: Statistic
    """``vs_base`` for a numeric feature, ``label_share`` for a yes/no feature."""

    def evidence_label(self) -> str:
        """``fact = value`` as shown in briefs."""
        return f"{self.fact} = {format_value(self.value)}"


def segment_traits(facts: SegmentFacts) -> list[Trait]:
    """The segment's notable traits, at most one per kind: those its label names
    first, then the strongest.

    Numeric features come from their ``vs_base`` fact (percent difference of the
    segment from all customers); yes/no features from the share of ``true`` in the
    segment against all customers (``label_share`` / ``label_base_share``).
    """
    base_shares = {
        (f.feature, f.category): f.value for f in facts.facts if f.statistic == "label_base_share"
    }
    found: dict[str, tuple[float, Trait]] = {}
    for fact in facts.facts:
        raw = fact.value
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            continue
        value = float(raw)
        feature = slug(fact.feature or "")
        if fact.statistic == "vs_base":
            if abs(value) < TRAIT_MIN_DIFF_PCT:
                continue
            level: Literal["high", "low"] = "high" if value > 0 else "low"
            strength = abs(value) / 100
        elif fact.statistic == "label_share" and slug(fact.category or "") == "true":
            base = base_shares.get((fact.feature, fact.category))
            if not isinstance(base, int | float) or isinstance(base, bool):
                continue
            base = float(base)
            if abs(value - base) < 5 or base <= 0:
                continue
            ratio = value / base
            if ratio >= TRAIT_MIN_RATIO:
                level, strength = "high", ratio - 1
            elif ratio <= 1 / TRAIT_MIN_RATIO:
                level, strength = "low", (1 / max(ratio, 1e-9)) - 1
            else:
                continue
        else:
            continue
        rule = next((r for r in _RULES if r.columns.search(feature)), None)
        if rule is None:
            continue
        trait = Trait(
            key=rule.key,
            level=level,
            feature=feature,
            fact=fact.name,
            value=value,
            statistic=fact.statistic,
            description=rule.high if level == "high" else rule.low,
            attitude=rule.high_attitude if level == "high" else rule.low_attitude,
            keywords=rule.high_words if level == "high" else rule.low_words,
        )
        if rule.key not in found or strength > found[rule.key][0]:
            found[rule.key] = (strength, trait)
    # The features the segment's label names come first: they are what sets it apart.
    label = facts.label.casefold()

    def rank(pair: tuple[float, Trait]) -> tuple[bool, float]:
        named = pair[1].feature.replace("_", " ").casefold() in label
        return (not named, -pair[0])

    return [t for _s, t in sorted(found.values(), key=rank)]


# --------------------------------------------------------------------------- channels

_CHANNEL_TERMS: dict[str, str] = {
    "email": r"e-?mails?|newsletters?|inbox",
    "app": r"apps?",
    "store": r"in[- ]store|in person|(?:the|your|a|local|physical) (?:store|shop)s?|stores"
    r"|high street|branch(?:es)?",
    "sms": r"sms|text messages?|texts",
    "phone": r"phone calls?|by (?:tele)?phone|on the phone|telephone|hotline"
    r"|call (?:you|your|the (?:shop|store)|customer service)",
    "web": r"websites?|web ?shop|online shop|online store|online",
    "social": r"social media|instagram|facebook|tiktok|youtube|twitter|pinterest|whatsapp",
    "post": r"catalogues?|catalogs?|leaflets?|brochures?|flyers?|by post|in the post",
}
_CHANNEL_RE = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in _CHANNEL_TERMS.items()}
# Bare words a persona's own channel list may use ("Email", "Mobile app", "Shop").
_CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "newsletter"),
    "app": ("app", "mobile"),
    "store": ("store", "shop", "in-store", "retail", "branch", "in_person", "instore"),
    "sms": ("sms", "text"),
    "phone": ("phone", "call", "telephone"),
    "web": ("web", "website", "online", "ecommerce", "internet"),
    "social": ("social", "instagram", "facebook", "tiktok"),
    "post": ("post", "catalogue", "catalog", "direct_mail", "letter"),
}
_NEGATION = re.compile(
    r"\b(?:not|never|no|nor|don't|dont|doesn't|didn't|won't|can't|cannot|rarely|hardly|"
    r"seldom|barely|avoid|hate|dislike|instead of|rather than)\b|n't\b",
    re.IGNORECASE,
)
_USE_CUE = re.compile(
    r"\b(?:use|uses|using|used|order|orders|ordering|ordered|buy|buying|bought|shop|shopping|"
    r"check|checking|read|reading|open|opening|prefer|like|love|enjoy|via|through|on|by|get|"
    r"getting|receive|contact|browse|browsing|follow|rely|always|usually|often|mostly|"
    r"favou?rite|best|go to|visit)\b",
    re.IGNORECASE,
)
_CHANNEL_COLUMN = re.compile(r"channel|contact")


@dataclass(frozen=True)
class ChannelUse:
    """Which channels a persona uses: from the data (share in percent) and its profile."""

    shares: dict[str, float]
    facts: dict[str, str]
    profile: frozenset[str]

    @property
    def used(self) -> set[str]:
        """Channels the data shows or the profile lists (unless the data says rarely)."""
        from_data = {c for c, share in self.shares.items() if share >= CHANNEL_MIN_SHARE_PCT}
        listed = {c for c in self.profile if c not in self.shares}
        return from_data | listed

    def describe(self) -> list[str]:
        """Used channels, most preferred first, with their share when the data has it."""
        out = []
        for channel in sorted(self.used, key=lambda c: -self.shares.get(c, -1.0)):
            share = self.shares.get(channel)
            out.append(channel if share is None else f"{channel} ({format_value(share)}%)")
        return out


def _canonical_channel(value: str) -> str | None:
    lowered = value.lower().replace("-", "_").replace(" ", "_")
    if "direct_mail" in lowered or "post" in lowered.split("_"):
        return "post"
    if "email" in lowered or "e_mail" in lowered or "newsletter" in lowered:
        return "email"
    for channel, words in _CHANNEL_WORDS.items():
        parts = set(lowered.split("_"))
        if any(w in parts or w == lowered for w in words):
            return channel
    return None


def channels_in(text: str) -> set[str]:
    """The channels ``text`` names (by the guard's vocabulary)."""
    found = {c for c, pattern in _CHANNEL_RE.items() if pattern.search(text)}
    canonical = _canonical_channel(text.strip())
    if canonical is not None:
        found.add(canonical)
    return found


def channel_use(persona: Persona) -> ChannelUse:
    """The persona's channels: shares of the segment's preferred channels, and its profile."""
    shares: dict[str, float] = {}
    facts: dict[str, str] = {}
    for fact in persona.facts.facts:
        raw = fact.value
        if fact.statistic != "label_share" or not isinstance(raw, int | float):
            continue
        if not _CHANNEL_COLUMN.search(slug(fact.feature or "")):
            continue
        channel = _canonical_channel(slug(fact.category or ""))
        if channel is None:
            continue
        shares[channel] = shares.get(channel, 0.0) + float(raw)
        facts.setdefault(channel, fact.name)
    profile: set[str] = set()
    for item in persona.channels:
        profile |= channels_in(item.text)
    return ChannelUse(shares=shares, facts=facts, profile=frozenset(profile))


# --------------------------------------------------------------------------- the check

_LIST_MARKER = re.compile(r"^\s*\d{1,2}[.)]\s", re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_CHARACTER_BREAK = re.compile(
    r"\bas an ai\b|\blanguage model\b|\b(?:ai|virtual|digital) assistant\b|"
    r"\b(?:i am|i'm) (?:just |only |really )?(?:an? |the )?(?:[\w-]+ )?"
    r"(?:ai|chatbot|bot|robot|computer program)\b|"
    r"\bmy (?:system prompt|instructions|programming|training data)\b|"
    r"\bi (?:was|am|have been) (?:programmed|designed) to\b|"
    r"\bi cannot (?:role-?play|pretend)\b",
    re.IGNORECASE,
)
_MARKUP = re.compile(
    r"!\[|\]\(|<\s*(?:img|script|a|iframe|svg|style|link)\b|javascript:|"
    r"\bhttps?://|\bwww\.",
    re.IGNORECASE,
)


def check_answer(answer: str, persona: Persona, *, question: str = "") -> list[Flag]:
    """Flags for an answer the persona gave to ``question`` (empty list when none apply).

    Deterministic and fast; see the module docstring for the kinds of flag.
    """
    text = answer.replace("\u2019", "'")
    flags: list[Flag] = []
    flags += _number_flags(text, persona, question)
    flags += _channel_flags(text, persona)
    flags += _preference_flags(text, persona.facts)
    hit = _CHARACTER_BREAK.search(text)
    if hit is not None:
        flags.append(
            Flag(
                kind="character",
                message="The answer steps out of the persona's role.",
                text=hit.group(0)[:200],
            )
        )
    hit = _MARKUP.search(text)
    if hit is not None:
        flags.append(
            Flag(
                kind="link",
                message="The answer contains a link or markup; it is shown as plain text.",
                text=hit.group(0)[:200],
            )
        )
    return flags


def _number_flags(text: str, persona: Persona, question: str) -> list[Flag]:
    values = fact_values(persona.facts)
    # Numbers the interviewer used, or the persona's own profile states, are not inventions.
    values["question"] = [m.value for m in find_numbers(question)]
    values["profile"] = [m.value for t in persona.narrative_texts() for m in find_numbers(t)]
    invented: list[str] = []
    for mention in find_numbers(_LIST_MARKER.sub(" ", text)):
        if match_number(mention, values) is None and mention.raw not in invented:
            invented.append(mention.raw)
    return [
        Flag(
            kind="number",
            message=f"{raw!r} matches no fact of this segment; the number is simulated.",
            text=raw[:200],
        )
        for raw in invented
    ]


def _sentences(text: str) -> Iterable[str]:
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if sentence:
            yield sentence


def _channel_flags(text: str, persona: Persona) -> list[Flag]:
    use = channel_use(persona)
    used = use.used
    flags: list[Flag] = []
    seen: set[str] = set()
    for sentence in _sentences(text):
        if sentence.endswith("?") or _NEGATION.search(sentence) or not _USE_CUE.search(sentence):
            continue
        for channel, pattern in _CHANNEL_RE.items():
            hit = pattern.search(sentence)
            if hit is None or channel in used or channel in seen:
                continue
            seen.add(channel)
            if channel == "web" and channel not in use.shares:
                # "Online" may well mean the app or e-mail: only the data can say.
                continue
            if channel in use.shares:
                share = format_value(round(use.shares[channel], 1))
                message = (
                    f"Claims to use {channel}, but only {share}% of this segment prefer it "
                    f"({use.facts[channel]})."
                )
            else:
                listed = ", ".join(sorted(used)) or "none recorded"
                message = (
                    f"Claims to use {channel}, which is not among the persona's channels "
                    f"({listed})."
                )
            flags.append(
                Flag(
                    kind="channel",
                    message=message,
                    text=hit.group(0)[:200],
                    fact=use.facts.get(channel),
                )
            )
    return flags


def _preference_flags(text: str, facts: SegmentFacts) -> list[Flag]:
    flags = []
    for trait in segment_traits(facts):
        rule = next(r for r in _RULES if r.key == trait.key)
        pattern = rule.contradicts_high if trait.level == "high" else rule.contradicts_low
        hit = pattern.search(text) if pattern is not None else None
        if hit is None:
            continue
        flags.append(
            Flag(
                kind="preference",
                message=f"Says {hit.group(0)!r}, but this segment's customers are "
                f"{trait.description} ({trait.evidence_label()}).",
                text=hit.group(0)[:200],
                fact=trait.fact,
            )
        )
    return flags
