"""The registry of IFEval instructions: each id, its checker and the arguments it takes.

A checker is a plain function ``check(response, **args) -> bool``; its keyword-only parameters
are the instruction's arguments, named as in the data set's ``kwargs`` (``num_words``,
``relation``, ``let_frequency``…). `bind` turns one row's arguments into a ready check: the
hub's rows give every argument of every instruction, ``None`` where unused, so ``None`` means
absent. Where the official code would draw a missing or invalid argument at random (it also
writes prompts), this raises `ValueError`: a score must not depend on a draw.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The official relational operators: "less than" is <, "at least" is >=.
RELATIONS = ("less than", "at least")
_RELATION_ARGS = frozenset({"relation", "let_relation", "capital_relation"})
_COUNT_ARGS = frozenset(
    {"num_sentences", "num_placeholders", "num_bullets", "num_highlights", "num_sections"}
    | {"num_paragraphs", "frequency", "num_words", "nth_paragraph", "let_frequency"}
    | {"capital_frequency"}
)
_LIST_ARGS = frozenset({"keywords", "forbidden_words"})

Check = Callable[[str], bool]


@dataclass(frozen=True)
class Instruction:
    id: str
    check: Callable[..., bool]
    args: tuple[str, ...]
    validate: Callable[..., None] | None = None

    @property
    def category(self) -> str:
        return self.id.partition(":")[0]


INSTRUCTIONS: dict[str, Instruction] = {}


def instruction(
    instruction_id: str, validate: Callable[..., None] | None = None
) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register a checker under an official instruction id."""

    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        if instruction_id in INSTRUCTIONS:
            raise ValueError(f"instruction {instruction_id} registered twice")
        parameters = list(inspect.signature(check).parameters.values())[1:]
        args = tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)
        INSTRUCTIONS[instruction_id] = Instruction(instruction_id, check, args, validate)
        return check

    return register


def compare(count: int, threshold: int, relation: str) -> bool:
    return count < threshold if relation == RELATIONS[0] else count >= threshold


def _argument(instruction_id: str, name: str, value: Any) -> Any:
    def bad(expected: str) -> ValueError:
        return ValueError(f"{instruction_id}: {name} must be {expected}, got {value!r}")

    if name in _RELATION_ARGS:
        if value not in RELATIONS:
            raise bad(f"one of {RELATIONS}")
    elif name in _COUNT_ARGS:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a count (an integer >= 0)")
    elif name in _LIST_ARGS:
        if isinstance(value, str) or not all(isinstance(item, str) for item in value):
            raise bad("a list of strings")
        if not value:
            raise bad("a non-empty list")
        value = list(value)
    elif not isinstance(value, str):
        raise bad("a string")
    return value


def bind(instruction_id: str, kwargs: Mapping[str, Any] | None, prompt: str = "") -> Check:
    """The check of one instruction of one prompt, its arguments bound.

    Arguments whose value is ``None`` are absent. A checker that takes ``prompt`` gets the
    prompt, as the official evaluation passes it (none of the 25 official checkers does).
    """
    try:
        spec = INSTRUCTIONS[instruction_id]
    except KeyError:
        raise ValueError(f"unknown IFEval instruction {instruction_id!r}") from None
    given = {key: value for key, value in (kwargs or {}).items() if value is not None}
    if "prompt" in spec.args:
        given.setdefault("prompt", prompt)
    unexpected = sorted(set(given) - set(spec.args))
    missing = [name for name in spec.args if name not in given]
    if unexpected or missing:
        raise ValueError(
            f"{instruction_id} takes {list(spec.args)}: missing {missing}, unexpected {unexpected}"
        )
    bound = {name: _argument(instruction_id, name, value) for name, value in given.items()}
    if spec.validate is not None:
        spec.validate(**bound)
    return functools.partial(spec.check, **bound)
