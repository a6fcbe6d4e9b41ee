"""IFEval: 541 prompts, each with one to three verifiable instructions (Zhou et al., 2023).

Hub ``google/IFEval``, split ``train``, fields ``key``, ``prompt``, ``instruction_id_list``,
``kwargs`` (one dict per instruction, ``None`` for unused arguments). The model gets the prompt
as it is, one user message (as EvalScope sends it); `scoring.ifeval` checks every instruction,
strictly and loosely. A sample passes iff all its instructions are followed strictly.

The four official figures, as the official ``evaluation_lib.py`` and lm-evaluation-harness
compute them: ``prompt_level_*_acc`` is the share of prompts whose instructions are all
followed; ``inst_level_*_acc`` the share of instructions followed, counted over all
instructions, not averaged per prompt (EvalScope averages per prompt). Each record carries its
prompt's share and its number of instructions (``instructions``), so every subset and OVERALL
is weighed by instructions, also for records scored 0 without a reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data import DataError, pick
from ..records import Outcome, Sample, SampleRecord, Verdict
from ..scoring.ifeval import bind, evaluate
from .base import Benchmark

PROMPT_STRICT, INST_STRICT = "prompt_level_strict_acc", "inst_level_strict_acc"
PROMPT_LOOSE, INST_LOOSE = "prompt_level_loose_acc", "inst_level_loose_acc"
COUNT = "instructions"
"""Not a reported figure: the weight of a record's instruction-level values."""


def _instructions(row: dict[str, Any]) -> tuple[list[str], list[dict[str, Any] | None]]:
    ids = [str(i) for i in pick(row, ("instruction_id_list",), "instruction_id_list")]
    kwargs = list(pick(row, ("kwargs",), "kwargs"))
    if len(kwargs) != len(ids) or not ids:
        raise DataError(f"IFEval {row.get('key')}: {len(ids)} instructions, {len(kwargs)} kwargs")
    return ids, [dict(k) if k is not None else None for k in kwargs]


class IFEval(Benchmark):
    name = "ifeval"
    metrics = (PROMPT_STRICT, INST_STRICT, PROMPT_LOOSE, INST_LOOSE)
    hub_path = "google/IFEval"
    hub_split = "train"
    score_refusals = True  # a refusal is an (empty) response: it follows no instruction
    data_help = "a JSONL/parquet file with key, prompt, instruction_id_list, kwargs"

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        prompt = str(pick(row, ("prompt",), "prompt"))
        ids, kwargs = _instructions(row)
        key = str(row.get("key", index))
        for instruction_id, arguments in zip(ids, kwargs):
            try:  # bad data stops the run at start, not one sample at scoring time
                bind(instruction_id, arguments, prompt)
            except ValueError as error:
                raise DataError(f"IFEval {key}: {error}") from None
        return Sample(
            id=key,
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": prompt}],
            target={"instruction_id_list": ids, "kwargs": kwargs},
            category=self.category(subset),
            meta={"labels": {"instruction_id_list": ids}},
        )

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        prompt = sample.messages[-1]["content"]
        ids, kwargs = sample.target["instruction_id_list"], sample.target["kwargs"]
        result = evaluate(prompt, outcome.final.text, ids, kwargs)
        n = len(ids)
        metrics = {
            PROMPT_STRICT: float(result.prompt_strict),
            INST_STRICT: sum(result.strict) / n,
            PROMPT_LOOSE: float(result.prompt_loose),
            INST_LOOSE: sum(result.loose) / n,
            COUNT: float(n),
        }
        missed = [i for i, ok in zip(ids, result.strict) if not ok]
        reason = "correct" if not missed else f"not followed (strict): {', '.join(missed)}"
        extracted = {"strict": result.strict, "loose": result.loose}
        return Verdict(result.prompt_strict, reason, metrics, extracted)

    def unscored_metrics(self, sample: Sample) -> dict[str, float]:
        return {**super().unscored_metrics(sample), COUNT: float(len(sample.target["kwargs"]))}

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        """Prompt-level: means over prompts; instruction-level: over instructions."""
        prompts = len(records)
        weights = [r.metrics.get(COUNT, 1.0) for r in records]
        instructions = sum(weights)
        values = {}
        for prompt_metric, inst_metric in (
            (PROMPT_STRICT, INST_STRICT),
            (PROMPT_LOOSE, INST_LOOSE),
        ):
            values[prompt_metric] = (
                sum(r.metrics.get(prompt_metric, 0.0) for r in records) / prompts
            )
            followed = sum(
                round(r.metrics.get(inst_metric, 0.0) * w) for r, w in zip(records, weights)
            )
            values[inst_metric] = followed / instructions
        return {metric: values[metric] for metric in self.metrics}
