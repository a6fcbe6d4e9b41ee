"""GPQA Diamond: 198 graduate-level science questions, four options, one subset.

Hub ``Idavidrein/gpqa``, config ``gpqa_diamond``, split ``train`` (the only one), fields
``Question``, ``Correct Answer``, ``Incorrect Answer 1..3``, ``Record ID``, ``High-level domain``,
``Subdomain``. The set is gated: `datasets` sends the user's hub token (``HF_TOKEN``, or the one
``huggingface-cli login`` stored) and a refusal says in one line how to get access.

The hub lists the correct answer first; the four options are shown in a fixed pseudo-random
order per question: `shuffle_options` over (correct, incorrect 1, 2, 3), keyed by the Record ID,
so every run, process and machine asks the same prompt (and hits the same cache entry). The
order is kept in the sample's labels (``permutation[j]`` = hub position of the option shown
j-th, 0 being the correct answer). Prompt: EvalScope's zero-shot chain-of-thought template; one
subset, ``default``, as EvalScope reports it; the domain is kept per sample (labels).
"""

from __future__ import annotations

from typing import Any

from ..data import DataError, pick
from ..records import Sample
from ..scoring.choice import shuffle_options
from .base import Rows
from .multiple_choice import EVALSCOPE_COT_TEMPLATE, MultipleChoice, choice_prompt

HUB_PAGE = "https://huggingface.co/datasets/Idavidrein/gpqa"
ANSWER_FIELDS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
ACCESS_HINT = (
    f"GPQA is gated: accept its terms on {HUB_PAGE} (logged in), then run "
    "`huggingface-cli login` or set HF_TOKEN"
)


def _option(row: dict[str, Any], field: str) -> str:
    value = pick(row, (field,), field)
    return str(value).strip()


class GpqaDiamond(MultipleChoice):
    name = "gpqa_diamond"
    hub_path = "Idavidrein/gpqa"
    hub_configs = {"default": "gpqa_diamond"}  # noqa: RUF012 (read-only)
    hub_split = "train"
    data_help = "a JSONL/CSV/parquet file in the hub's schema (Question, Correct Answer, ...)"

    def read_rows(self, source: str | None) -> Rows:
        try:
            return super().read_rows(source)
        except DataError as error:
            if source is not None:
                raise
            raise DataError(f"{error}; {ACCESS_HINT}") from None

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question = str(pick(row, ("Question",), "Question"))  # as EvalScope: not stripped
        record_id = str(row.get("Record ID") or index)
        hub_order = [_option(row, field) for field in ANSWER_FIELDS]
        shown, gold, permutation = shuffle_options(hub_order, 0, record_id)
        labels = {
            "record_id": record_id,
            "domain": row.get("High-level domain"),
            "subdomain": row.get("Subdomain"),
            "permutation": permutation,
        }
        prompt = choice_prompt(EVALSCOPE_COT_TEMPLATE, question, shown)
        return self.choice_sample(subset, record_id, prompt, shown, gold, labels)
