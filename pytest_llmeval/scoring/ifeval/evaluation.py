"""Strict and loose evaluation of one response, and IFEval's four official figures.

As the official ``evaluation_lib.py`` (google-research ``instruction_following_eval``):

- strict: each instruction is checked on the response as it is; an empty (all-space) response
  follows nothing;
- loose: an instruction is followed if it holds on any of eight variants of the response: the
  response, the response with its first line removed, with its last line removed, with both,
  and each of these four with every ``*`` removed (lines are split on ``\\n``; the removals are
  stripped); blank variants are skipped;
- prompt-level accuracy: the share of prompts whose instructions are all followed;
  instruction-level accuracy: the share of all instructions followed, over all prompts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import layout, length, lexical  # noqa: F401 - importing registers the checkers
from .registry import bind


@dataclass(frozen=True)
class IFEvalResult:
    """Per instruction of one prompt, in the prompt's order: followed strictly, loosely."""

    strict: list[bool]
    loose: list[bool]
    instruction_ids: list[str] = field(default_factory=list)

    @property
    def prompt_strict(self) -> bool:
        return all(self.strict)

    @property
    def prompt_loose(self) -> bool:
        return all(self.loose)


def loose_variants(response: str) -> list[str]:
    """The eight response variants of the official loose evaluation, in its order."""
    lines = response.split("\n")
    remove_first = "\n".join(lines[1:]).strip()
    remove_last = "\n".join(lines[:-1]).strip()
    remove_both = "\n".join(lines[1:-1]).strip()
    return [
        response,
        response.replace("*", ""),
        remove_first,
        remove_last,
        remove_both,
        remove_first.replace("*", ""),
        remove_last.replace("*", ""),
        remove_both.replace("*", ""),
    ]


def evaluate(
    prompt: str,
    response: str,
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any] | None],
) -> IFEvalResult:
    """Check one response against the instructions of its prompt, strictly and loosely.

    `kwargs` holds one dict per instruction, as in the data set (``None`` values are unused
    arguments). Unknown instructions and missing or invalid arguments raise `ValueError`.
    """
    if len(kwargs) != len(instruction_ids):
        raise ValueError(f"{len(instruction_ids)} instructions but {len(kwargs)} argument dicts")
    checks = [
        bind(instruction_id, arguments, prompt)
        for instruction_id, arguments in zip(instruction_ids, kwargs)
    ]
    strict = [bool(response.strip()) and check(response) for check in checks]
    # The first variant is the response itself, already checked.
    others = [variant for variant in loose_variants(response)[1:] if variant.strip()]
    loose = [
        followed or any(check(variant) for variant in others)
        for followed, check in zip(strict, checks)
    ]
    return IFEvalResult(strict, loose, list(instruction_ids))


def ifeval_figures(results: Iterable[IFEvalResult]) -> dict[str, float]:
    """IFEval's four official figures, under the names lm-evaluation-harness reports them."""
    results = list(results)
    if not results:
        raise ValueError("no IFEval results to aggregate")
    instructions = sum(len(result.strict) for result in results)
    return {
        "prompt_level_strict_acc": sum(r.prompt_strict for r in results) / len(results),
        "inst_level_strict_acc": sum(sum(r.strict) for r in results) / instructions,
        "prompt_level_loose_acc": sum(r.prompt_loose for r in results) / len(results),
        "inst_level_loose_acc": sum(sum(r.loose) for r in results) / instructions,
    }


def instruction_accuracy(results: Iterable[IFEvalResult], loose: bool = False) -> dict[str, float]:
    """Accuracy per instruction id and per category (``keywords``, ``punctuation``…), as the
    official report lists them after the two overall figures."""
    followed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for result in results:
        flags = result.loose if loose else result.strict
        for instruction_id, ok in zip(result.instruction_ids, flags, strict=True):
            for key in (instruction_id.partition(":")[0], instruction_id):
                total[key] += 1
                followed[key] += ok
    return {key: followed[key] / total[key] for key in sorted(total)}
