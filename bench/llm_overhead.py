"""Overhead of ``persona.llm`` over raw llama-cpp-python, measured in one process.

Streams the same prompts with the same settings and seed two ways, through the
same loaded ``llama_cpp.Llama``:

* baseline: ``Llama.create_chat_completion(stream=True)`` directly;
* persona: ``persona.llm.stream_text`` over the LangChain ``LlamaCppChatModel``.

The KV cache is reset before every run so neither path profits from the other's
prompt cache, and the order alternates per prompt. With equal seeds both paths
generate the same tokens, so tokens/s compare like for like. Prints tokens/s,
time to first token, and the ratio persona/baseline (target >= 0.95).

    python bench/llm_overhead.py --prompts 8 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from persona.config import Settings
from persona.llm import REPEAT_PENALTY, LlamaCppChatModel, make_chat_model, stream_text

TARGET_RATIO = 0.95

SYSTEM = "You are Maya, 34, a night-shift nurse who shops online. Answer in character."
PROMPTS = [
    "What do you look for when you buy running shoes?",
    "Describe a typical Saturday for you.",
    "Why did you cancel your last subscription?",
    "What would make you recommend a shop to a friend?",
    "How do you decide between two similar products?",
    "Tell me about the last time customer service helped you.",
    "What annoys you most about delivery times?",
    "How do you feel about loyalty programmes?",
    "Which app do you open first in the morning, and why?",
    "What would you change about online checkout?",
]


@dataclass(frozen=True)
class Run:
    """One streamed answer."""

    tokens: int
    seconds: float
    first_token: float
    text: str


def _timed(pieces: Iterator[str]) -> Run:
    start = time.perf_counter()
    first = 0.0
    count = 0
    parts: list[str] = []
    for piece in pieces:
        if not count:
            first = time.perf_counter() - start
        count += 1
        parts.append(piece)
    return Run(count, time.perf_counter() - start, first, "".join(parts))


def _raw_pieces(llama: Any, question: str, options: dict[str, Any]) -> Iterator[str]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    for part in llama.create_chat_completion(messages=messages, stream=True, **options):
        text = part["choices"][0]["delta"].get("content")
        if text:
            yield text


def _persona_pieces(model: LlamaCppChatModel, question: str) -> Iterator[str]:
    return stream_text(model, [SystemMessage(SYSTEM), HumanMessage(question)])


def _summary(name: str, runs: list[Run]) -> float:
    tokens = sum(run.tokens for run in runs)
    seconds = sum(run.seconds for run in runs)
    rate = tokens / seconds
    decode = sum(max(run.tokens - 1, 0) for run in runs) / sum(
        run.seconds - run.first_token for run in runs
    )
    ttft = [run.first_token * 1000 for run in runs]
    print(
        f"{name:<9} {tokens:>6} tok {seconds:>7.2f} s  {rate:>6.1f} tok/s  "
        f"(decode {decode:>6.1f} tok/s)  first token: median {statistics.median(ttft):6.1f} ms, "
        f"mean {statistics.mean(ttft):6.1f} ms"
    )
    return rate


class _ReplayLlama:
    """Stands in for ``llama_cpp.Llama``: replays recorded stream chunks instantly."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks

    def create_chat_completion(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self.chunks)


def wrapper_cost_per_token(model: LlamaCppChatModel, chunks: list[dict[str, Any]]) -> float:
    """Seconds the persona path adds per streamed token, with generation taking no time.

    Load on a shared machine swamps the end-to-end comparison; this isolates the
    Python cost of LangChain + LlamaCppChatModel, which is all the wrapper adds.
    """
    from persona import llm

    stub = model.model_copy(update={"model_path": "<replay>"})
    key = (stub.model_path, stub.n_ctx, stub.n_threads)
    llm._LOADED[key] = (_ReplayLlama(chunks), threading.Lock())  # type: ignore[assignment]
    try:
        question = [SystemMessage(SYSTEM), HumanMessage(PROMPTS[0])]
        tokens = 0
        start = time.perf_counter()
        for _ in range(50):
            tokens += sum(1 for _ in stream_text(stub, question))
        persona = (time.perf_counter() - start) / tokens
        start = time.perf_counter()
        for _ in range(50):
            for part in iter(chunks):
                part["choices"][0]["delta"].get("content")
        raw = (time.perf_counter() - start) / tokens
        return persona - raw
    finally:
        del llm._LOADED[key]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit status is 0 unless it cannot run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=6, help="prompts per repeat (max 10)")
    parser.add_argument("--repeats", type=int, default=2, help="passes over the prompts")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    prompts = PROMPTS[: max(1, min(args.prompts, len(PROMPTS)))]

    settings = Settings(llm_provider="llamacpp", llm_max_tokens=args.max_tokens)
    built = make_chat_model(settings)
    assert isinstance(built, LlamaCppChatModel)
    model = built.model_copy(update={"seed": args.seed})
    llama = model.client
    options = {
        "temperature": settings.llm_temperature,
        "max_tokens": settings.llm_max_tokens,
        "repeat_penalty": REPEAT_PENALTY,
        "seed": args.seed,
    }
    if options != model.completion_options(None):
        raise SystemExit(f"settings differ: {options} vs {model.completion_options(None)}")

    def raw_path(question: str) -> Run:
        return _timed(_raw_pieces(llama, question, options))

    def persona_path(question: str) -> Run:
        return _timed(_persona_pieces(model, question))

    for path in (raw_path, persona_path):  # warm-up: page in weights, build the chat handler
        llama.reset()
        path(prompts[0])

    raw: list[Run] = []
    persona: list[Run] = []
    same_text = 0
    for repeat in range(args.repeats):
        for index, question in enumerate(prompts):
            order = [(raw_path, raw), (persona_path, persona)]
            if (repeat + index) % 2:
                order.reverse()
            for path, runs in order:
                llama.reset()  # no prompt-cache reuse between the two paths
                runs.append(path(question))
            same_text += raw[-1].text == persona[-1].text

    print(
        f"model {llama.model_path} | {len(prompts)} prompts x {args.repeats} repeats | "
        f"max_tokens {args.max_tokens} | temperature {settings.llm_temperature:g} | "
        f"repeat_penalty {REPEAT_PENALTY} | n_threads {model.n_threads} | seed {args.seed}"
    )
    raw_rate = _summary("baseline", raw)
    persona_rate = _summary("persona", persona)
    # Other processes on a shared machine slow whole stretches of the run; the
    # back-to-back pairs and the best of each prompt's repeats are less exposed
    # to that than the totals.
    paired = [
        (r.seconds / r.tokens) / (p.seconds / p.tokens) for r, p in zip(raw, persona, strict=True)
    ]
    best_raw = sum(min(r.seconds for r in raw[i :: len(prompts)]) for i in range(len(prompts)))
    best_persona = sum(
        min(p.seconds for p in persona[i :: len(prompts)]) for i in range(len(prompts))
    )
    ttft_delta = statistics.median(
        (p.first_token - r.first_token) * 1000 for p, r in zip(persona, raw, strict=True)
    )
    median_ratio = statistics.median(paired)
    verdict = "meets" if median_ratio >= TARGET_RATIO else "BELOW"
    print(f"identical output in {same_text}/{len(raw)} pairs")
    print(f"first-token overhead: median {ttft_delta:+.1f} ms per answer")
    print(f"ratio persona/baseline tokens/s, totals:            {persona_rate / raw_rate:.3f}")
    print(f"ratio persona/baseline tokens/s, best of repeats:   {best_raw / best_persona:.3f}")
    print(
        f"ratio persona/baseline tokens/s, median of pairs:   {median_ratio:.3f} "
        f"(range {min(paired):.3f}-{max(paired):.3f}; {verdict} target {TARGET_RATIO})"
    )
    recorded: Iterator[dict[str, Any]] = llama.create_chat_completion(
        messages=[{"role": "user", "content": PROMPTS[0]}], stream=True, **options
    )  # type: ignore[assignment]
    chunks = list(recorded)
    cost = wrapper_cost_per_token(model, chunks)
    per_token = statistics.median(r.seconds / r.tokens for r in raw)
    print(
        f"wrapper cost per token (replayed stream, no generation): {cost * 1e6:.0f} us; "
        f"at this run's median baseline {per_token * 1000:.1f} ms/token that is a ratio of "
        f"{per_token / (per_token + cost):.3f}; at 65 tok/s, {(1 / 65) / (1 / 65 + cost):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
