"""MMLU-Redux 2.0: 5,700 MMLU questions (57 subjects × 100) re-annotated for errors.

Hub ``edinburgh-dawg/mmlu-redux-2.0``, one config per subject, split ``test``. Fields:
``question``, ``choices`` (four), ``answer`` (index of MMLU's gold), ``error_type``, ``source``,
``correct_answer`` (the annotators' answer for ``wrong_groundtruth`` / ``no_correct_answer``),
``potential_reason``.

Questions the annotators mark as erroneous are left out and counted, by error type and by
subject, in the report's data sources (``meta.datasets.mmlu_redux``):

- ``--llm-mmlu-redux-keep=ok`` (default): only questions annotated ``ok``, the clean set the
  paper (Gema et al., "Are We Done with MMLU?") compares models on;
- ``--llm-mmlu-redux-keep=corrected``: also the ``wrong_groundtruth`` questions whose
  ``correct_answer`` names an option (a letter A–D or an index 0–3), scored against that answer;
  the rule of ZeroEval, lm-evaluation-harness and NeMo-Skills (the figures model cards quote).

Every other type (``no_correct_answer``, ``multiple_correct_answers``, ``bad_question_clarity``,
``bad_options_clarity``, ``expert``) is left out in both. EvalScope instead keeps all 5,700 and
patches options and targets. Prompt: EvalScope's zero-shot chain-of-thought template. Subsets:
the 57 subjects; Cat.0 is MMLU's category (STEM, Humanities, Social Science, Other).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..config import Option, parse_choice
from ..data import DataError, pick
from ..records import Sample
from .base import Rows
from .multiple_choice import EVALSCOPE_COT_TEMPLATE, MultipleChoice, choice_prompt, option_list

_STEM = (
    "abstract_algebra", "astronomy", "college_biology", "college_chemistry",
    "college_computer_science", "college_mathematics", "college_physics", "computer_security",
    "conceptual_physics", "electrical_engineering", "elementary_mathematics",
    "high_school_biology", "high_school_chemistry", "high_school_computer_science",
    "high_school_mathematics", "high_school_physics", "high_school_statistics",
    "machine_learning",
)  # fmt: skip
_HUMANITIES = (
    "formal_logic", "high_school_european_history", "high_school_us_history",
    "high_school_world_history", "international_law", "jurisprudence", "logical_fallacies",
    "moral_disputes", "moral_scenarios", "philosophy", "prehistory", "professional_law",
    "world_religions",
)  # fmt: skip
_SOCIAL = (
    "econometrics", "high_school_geography", "high_school_government_and_politics",
    "high_school_macroeconomics", "high_school_microeconomics", "high_school_psychology",
    "human_sexuality", "professional_psychology", "public_relations", "security_studies",
    "sociology", "us_foreign_policy",
)  # fmt: skip
_OTHER = (
    "anatomy", "business_ethics", "clinical_knowledge", "college_medicine", "global_facts",
    "human_aging", "management", "marketing", "medical_genetics", "miscellaneous", "nutrition",
    "professional_accounting", "professional_medicine", "virology",
)  # fmt: skip
CATEGORY = {
    subject: category
    for category, subjects in (
        ("STEM", _STEM),
        ("Humanities", _HUMANITIES),
        ("Social Science", _SOCIAL),
        ("Other", _OTHER),
    )
    for subject in subjects
}
SUBJECTS = tuple(sorted(CATEGORY))
SUBJECT_FIELDS = ("subject", "subset", "config")

KEEP = Option(
    "--llm-mmlu-redux-keep",
    "MMLU-Redux: ok (questions annotated ok) or corrected (also wrong_groundtruth questions, "
    "scored against the annotators' correct_answer)",
    default="ok",
    parse=parse_choice("ok", "corrected"),
)


def _option_index(value: Any) -> int | None:
    """An annotator's ``correct_answer`` as an option index, if it names one (A–D or 0–3)."""
    text = str(value).strip().strip("()").strip() if value is not None else ""
    if len(text) == 1 and text.upper() in "ABCD":
        return "ABCD".index(text.upper())
    if text in ("0", "1", "2", "3"):
        return int(text)
    return None


class MmluRedux(MultipleChoice):
    name = "mmlu_redux"
    subsets = SUBJECTS
    options = (KEEP,)
    hub_path = "edinburgh-dawg/mmlu-redux-2.0"
    hub_configs = {s: s for s in SUBJECTS}  # noqa: RUF012 (read-only)
    hub_split = "test"
    data_help = (
        "a folder with one file per subject (abstract_algebra.jsonl, ...) in the hub's schema, "
        "or one file whose rows name their subject"
    )

    def __init__(self, options: dict[str, Any] | None = None, repeats: int = 1) -> None:
        super().__init__(options, repeats)
        self._notes: dict[str, Any] = {}

    def category(self, subset: str) -> str:
        return CATEGORY.get(subset, "default")

    # -- data ------------------------------------------------------------------------------
    def load(self, source: str | None) -> list[Sample]:
        """The kept questions; the others are counted by error type and subject."""
        rows = self.read_rows(source)
        samples: list[Sample] = []
        by_type: Counter[str] = Counter()
        by_subset: Counter[str] = Counter()
        corrected = read = 0
        for subset in self.subsets:
            for index, row in enumerate(rows.get(subset, [])):
                read += 1
                gold = self.gold(row)
                if gold is None:
                    by_type[self.error_type(row)] += 1
                    by_subset[subset] += 1
                    continue
                corrected += self.error_type(row) != "ok"
                samples.append(self.sample(subset, index, row))
        self._notes = {
            "keep": self.option("--llm-mmlu-redux-keep"),
            "questions_read": read,
            "excluded": sum(by_type.values()),
            "excluded_by_error_type": dict(sorted(by_type.items())),
            "excluded_by_subset": dict(by_subset),
            "corrected": corrected,
        }
        return samples

    def load_notes(self) -> dict[str, Any]:
        return self._notes

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """One file: rows name their subject, or the file is named after one."""
        if rows and any(field in rows[0] for field in SUBJECT_FIELDS):
            grouped: Rows = {}
            for row in rows:
                subject = str(pick(row, SUBJECT_FIELDS, "subject"))
                if subject not in CATEGORY:
                    raise DataError(f"{source}: unknown subject {subject!r}")
                grouped.setdefault(subject, []).append(row)
            return grouped
        if source.stem in CATEGORY:
            return {source.stem: rows}
        raise DataError(f"{source}: rows name no subject and the file is not named after one")

    @staticmethod
    def error_type(row: dict[str, Any]) -> str:
        return str(pick(row, ("error_type",), "error_type")).strip().lower()

    def gold(self, row: dict[str, Any]) -> int | None:
        """The gold option's index, or None for a question left out."""
        error_type = self.error_type(row)
        if error_type == "ok":
            return int(pick(row, ("answer",), "answer"))
        if error_type == "wrong_groundtruth" and self.option("--llm-mmlu-redux-keep") == (
            "corrected"
        ):
            return _option_index(row.get("correct_answer"))
        return None

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        gold = self.gold(row)
        if gold is None:
            raise DataError(f"{subset}-{index}: a question annotated {self.error_type(row)!r}")
        choices = option_list(row, "choices")
        question = str(pick(row, ("question",), "question"))
        labels = {
            "error_type": self.error_type(row),
            "source": row.get("source"),
            "mmlu_answer": int(pick(row, ("answer",), "answer")),
        }
        prompt = choice_prompt(EVALSCOPE_COT_TEMPLATE, question, choices)
        return self.choice_sample(subset, f"{subset}-{index}", prompt, choices, gold, labels)
