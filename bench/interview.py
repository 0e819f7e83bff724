"""Interview latency with the embedded model: prompt-prefix reuse, and tokens/s vs raw llama.cpp.

One process, one loaded ``llama_cpp.Llama``:

1. A persona is built from the bundled sample data (segmentation, then the
   scripted model writes the narrative: the facts are real, no LLM needed).
2. Ten questions are asked through ``persona.interview.ask_stream`` with the
   embedded SmolLM2. Before turn 1 an unrelated prompt evicts the KV cache, so
   turn 1 pays for the whole system prompt; from turn 2 on, llama.cpp reuses
   the cached common prefix (system prompt + history), so only the newest
   exchange is evaluated. Target: time to first token at turn 10 within 1.5x
   of turn 1. For context, the turn-10 prompt is also timed with the cache
   reset (what it would cost without prefix reuse).
3. Baseline: right after each turn, its exact prompt is streamed again straight
   through ``Llama.create_chat_completion`` with the same options and seed;
   decode tokens/s of the project path are compared with it (target >= 0.95).

    python bench/interview.py --turns 10 --max-tokens 64

Timings on a shared machine are noisy; the ratios within one run are what count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import convert_to_openai_messages

from persona.config import Settings
from persona.demo import SAMPLE_DATA
from persona.generate import generate_personas
from persona.interview import ask_stream, start_interview
from persona.interview.session import _prompt
from persona.llm import REPEAT_PENALTY, LlamaCppChatModel
from persona.personas import get_persona
from persona.segmentation import run_segmentation
from persona.services import Services

TTFT_TARGET = 1.5
RATE_TARGET = 0.95

QUESTIONS = [
    "How do you usually hear about new products?",
    "What annoys you most when you buy outdoor gear?",
    "Would you pay more for a jacket that lasts longer?",
    "How do you decide between two similar products?",
    "Tell me about the last time you returned something.",
    "What would make you recommend us to a friend?",
    "How do you feel about our loyalty programme?",
    "What do you think about delivery times?",
    "Which channel do you prefer for offers?",
    "What would you change about our shop?",
    "What matters most when you choose a tent?",
    "How often do you go out walking?",
]

DRAFT = {
    "name": "Maya Lindqvist",
    "occupation": "Teacher",
    "background": "Lives with her family near the hills and walks every weekend.",
    "goals": [{"text": "Keep the family dry on long walks", "sources": []}],
    "challenges": [{"text": "Gear for four people adds up", "sources": []}],
    "needs": [{"text": "Durable jackets that last", "sources": []}],
    "pain_points": [{"text": "Delivery costs", "sources": []}],
    "personality": ["practical"],
    "hobbies": ["hill walking"],
    "behaviour_patterns": [{"text": "Waits for offers before buying", "sources": []}],
    "channels": ["email"],
    "quote": "Good gear should last.",
}


@dataclass
class Turn:
    """One timed answer."""

    turn: int
    ttft: float
    decode_seconds: float
    after_last_token: float
    tokens: int
    text: str

    @property
    def decode_rate(self) -> float:
        return max(self.tokens - 1, 1) / max(self.decode_seconds, 1e-9)


def build_persona(home: Path) -> int:
    """Segment the sample customers and write one persona with the scripted model."""
    fake = Services(
        Settings(home=home, llm_provider="fake", embeddings="hash"),
        fake_replies=[json.dumps(DRAFT)] * 8,
    )
    run_segmentation(fake, SAMPLE_DATA / "customers.csv")
    [result] = generate_personas(fake, segment_indexes=[0])
    assert result.persona_id is not None, result.reason
    return result.persona_id


def evict(llama: Any) -> None:
    """Fill the KV cache with an unrelated prompt, so the next prompt shares no prefix."""
    llama.create_chat_completion(
        messages=[{"role": "user", "content": "Name three colours of the rainbow."}],
        max_tokens=4,
        temperature=0.0,
    )


def raw_stream(
    llama: Any, messages: list[dict[str, str]], options: dict[str, Any]
) -> Iterator[str]:
    for part in llama.create_chat_completion(messages=messages, stream=True, **options):
        text = part["choices"][0]["delta"].get("content")
        if text:
            yield text


def timed_raw(llama: Any, messages: list[dict[str, str]], options: dict[str, Any]) -> Turn:
    start = time.perf_counter()
    first = last = 0.0
    parts: list[str] = []
    for piece in raw_stream(llama, messages, options):
        now = time.perf_counter()
        if not parts:
            first = now
        last = now
        parts.append(piece)
    text = "".join(parts)
    tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
    return Turn(0, first - start, last - first, time.perf_counter() - last, tokens, text)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures, optionally write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    turns = max(2, min(args.turns, len(QUESTIONS)))

    home = Path(tempfile.mkdtemp(prefix="persona-bench-interview-"))
    started = time.perf_counter()
    persona_id = build_persona(home)
    settings = Settings(
        home=home, llm_provider="llamacpp", embeddings="hash", llm_max_tokens=args.max_tokens
    )
    services = Services(settings)
    built = services.chat_model()
    assert isinstance(built, LlamaCppChatModel)
    model = built.model_copy(update={"seed": args.seed})
    services.use_model(model)
    llama = model.client
    options = model.completion_options(None)
    print(
        f"setup {time.perf_counter() - started:.1f} s; model {Path(model.model_path).name}, "
        f"n_ctx {model.n_ctx}, n_threads {model.n_threads}, max_tokens {args.max_tokens}, "
        f"temperature {model.temperature:g}, repeat_penalty {REPEAT_PENALTY}, seed {args.seed}"
    )

    persona = get_persona(services, persona_id).persona
    interview_id = start_interview(services, persona_id)
    project: list[Turn] = []
    raw: list[Turn] = []
    prompts: list[list[dict[str, str]]] = []
    for number, question in enumerate(QUESTIONS[:turns], start=1):
        if number == 1:
            evict(llama)
        start = time.perf_counter()
        stream = ask_stream(services, interview_id, question)
        first = last = 0.0
        for index, _piece in enumerate(stream):
            now = time.perf_counter()
            if index == 0:
                first = now
            last = now
        done = time.perf_counter()
        text = stream.turn.content
        tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False))
        project.append(Turn(number, first - start, last - first, done - last, tokens, text))
        # The same prompt, rebuilt from the store, straight into llama.cpp right away, so
        # both paths decode under the same load. With the same seed it writes the same
        # tokens, so the KV cache stays valid for the next project turn.
        messages = [
            {"role": str(m["role"]), "content": str(m.get("content") or "")}
            for m in convert_to_openai_messages(
                _prompt(services, model, persona, stream.question)[0]
            )
        ]
        prompts.append(messages)
        replay = timed_raw(llama, messages, options)
        replay.turn = number
        raw.append(replay)
        print(
            f"turn {number:>2}: first token {project[-1].ttft * 1000:7.0f} ms, "
            f"{tokens:>3} tokens at {project[-1].decode_rate:5.1f} tok/s "
            f"(raw llama.cpp {replay.decode_rate:5.1f} tok/s), "
            f"guard + commit {project[-1].after_last_token * 1000:5.1f} ms"
        )
    llama.reset()
    cold_last = timed_raw(llama, prompts[-1], {**options, "max_tokens": 1})

    ttft_ratio = project[-1].ttft / project[0].ttft
    project_rate = sum(t.tokens - 1 for t in project) / sum(t.decode_seconds for t in project)
    raw_rate = sum(t.tokens - 1 for t in raw) / sum(t.decode_seconds for t in raw)
    paired = statistics.median(
        p.decode_rate / r.decode_rate for p, r in zip(project, raw, strict=True)
    )
    same = sum(p.text.strip() == r.text.strip() for p, r in zip(project, raw, strict=True))
    results = {
        "turns": turns,
        "ttft_turn1_ms": round(project[0].ttft * 1000, 1),
        f"ttft_turn{turns}_ms": round(project[-1].ttft * 1000, 1),
        "ttft_ratio": round(ttft_ratio, 3),
        "ttft_target": TTFT_TARGET,
        f"ttft_turn{turns}_cache_reset_ms": round(cold_last.ttft * 1000, 1),
        "project_decode_tok_s": round(project_rate, 1),
        "raw_decode_tok_s": round(raw_rate, 1),
        "rate_ratio": round(project_rate / raw_rate, 3),
        "rate_ratio_paired_median": round(paired, 3),
        "rate_target": RATE_TARGET,
        "same_text": f"{same}/{turns}",
        "guard_commit_ms_median": round(
            statistics.median(t.after_last_token for t in project) * 1000, 1
        ),
        "turns_detail": [asdict(t) | {"decode_rate": round(t.decode_rate, 1)} for t in project],
    }
    print(
        f"\ntime to first token: turn 1 {results['ttft_turn1_ms']:.0f} ms, turn {turns} "
        f"{project[-1].ttft * 1000:.0f} ms -> ratio {ttft_ratio:.2f} (target <= {TTFT_TARGET}; "
        f"turn {turns} with the cache reset: {cold_last.ttft * 1000:.0f} ms)"
    )
    print(
        f"decode: persona.interview {project_rate:.1f} tok/s, raw llama.cpp {raw_rate:.1f} tok/s "
        f"-> ratio {project_rate / raw_rate:.3f} (paired median {paired:.3f}; target >= "
        f"{RATE_TARGET}); same text {same}/{turns}; guard + commit after the last token "
        f"{results['guard_commit_ms_median']} ms (median)"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    ok = ttft_ratio <= TTFT_TARGET
    print("PASS" if ok else "FAIL: turn-10 first token is more than 1.5x turn 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
