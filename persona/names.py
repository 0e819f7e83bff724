"""Persona names: the keys a clash is checked under, and the deterministic fallback pool.

Two personas of a project must not share a full name, a first name or a surname;
:func:`taken_names` maps each of those keys of the names in use to the display
name. When the model keeps choosing a taken name, the application picks one
from a fixed pool instead (:func:`fallback_name`), the same for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "fallback_name",
    "first_name",
    "free_first_names",
    "normal_name",
    "surname_key",
    "taken_names",
    "with_free_surname",
]


# Deterministic fallback names, used only when the model keeps repeating a name
# another persona of the project already has.
_FIRST_NAMES = (
    "Maya", "Jonas", "Priya", "Tomas", "Aisha", "Liam", "Elena", "Kofi", "Hannah", "Mateo",
    "Yuki", "Omar", "Freya", "Ravi", "Clara", "Emeka", "Sofia", "Henrik", "Leila", "Daniel",
    "Ines", "Arjun", "Nora", "Felix", "Amara", "Lucas", "Mei", "Samir", "Greta", "Tariq",
)  # fmt: skip
_LAST_NAMES = (
    "Lindqvist", "Okafor", "Moreau", "Haddad", "Novak", "Castillo", "Brennan", "Sato",
    "Adeyemi", "Kowalski", "Fischer", "Romano", "Nakamura", "Osei", "Varga", "Dubois",
)  # fmt: skip


def normal_name(name: str) -> str:
    """``name`` case-folded with its whitespace collapsed: the key of a full name."""
    return " ".join(name.casefold().split())


def first_name(name: str) -> str:
    """The normalised first word of ``name`` (the key of a first name)."""
    parts = normal_name(name).split(" ")
    return parts[0] if parts else ""


def surname_key(name: str) -> str:
    """The key under which a name's surname is kept in the taken-names map ("" for none)."""
    parts = normal_name(name).split(" ")
    return f"surname:{parts[-1]}" if len(parts) > 1 else ""


def taken_names(rows: Iterable[tuple[int, str]], *, exclude: int | None) -> dict[str, str]:
    """Full-name, first-name and surname keys of ``(persona id, name)`` rows → display name."""
    taken: dict[str, str] = {}
    for persona_id, name in rows:
        if persona_id == exclude:
            continue
        taken[normal_name(name)] = name
        taken.setdefault(first_name(name), name)
        if surname := surname_key(name):
            taken.setdefault(surname, name)
    return taken


def free_first_names(taken: dict[str, str]) -> tuple[str, ...]:
    """First names of the fallback pool no persona of the project uses yet."""
    return tuple(n for n in _FIRST_NAMES if normal_name(n) not in taken)


def with_free_surname(name: str, taken: dict[str, str], seed: int) -> str:
    """``name`` with its surname replaced by one no persona of the project uses."""
    given = name.rsplit(" ", 1)[0]
    for offset in range(len(_LAST_NAMES)):
        candidate = f"{given} {_LAST_NAMES[(seed * 5 + offset) % len(_LAST_NAMES)]}"
        if surname_key(candidate) not in taken and normal_name(candidate) not in taken:
            return candidate
    return fallback_name(taken, seed)


def fallback_name(taken: dict[str, str], seed: int) -> str:
    """A name from the pool none of whose keys is taken (chosen by ``seed``)."""
    for offset in range(len(_FIRST_NAMES) * len(_LAST_NAMES)):
        first = _FIRST_NAMES[(seed * 7 + offset) % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(seed * 5 + offset) % len(_LAST_NAMES)]
        candidate = f"{first} {last}"
        if (
            normal_name(candidate) not in taken
            and first_name(candidate) not in taken
            and surname_key(candidate) not in taken
        ):
            return candidate
    return f"Persona {_FIRST_NAMES[seed % len(_FIRST_NAMES)]} {len(taken)}"
