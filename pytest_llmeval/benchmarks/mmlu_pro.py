"""MMLU-Pro: 12,032 questions with up to ten options, 14 subjects (the ``category`` field).

Hub ``TIGER-Lab/MMLU-Pro``: split ``test`` holds the questions, split ``validation`` the 70
few-shot examples (five per subject, with a worked ``cot_content``). Fields: ``question_id``,
``question``, ``options`` (padded with ``"N/A"``, which is dropped), ``answer`` (letter),
``answer_index``, ``cot_content``, ``category``, ``src``.

The prompt is the official chain-of-thought prompt of TIGER-AI-Lab/MMLU-Pro's
``evaluate_from_api.py`` (``single_request`` / ``format_example``), in one user message: a
header naming the subject, then the subject's validation examples, each ``Question: …\\nOptions:
A. …\\nB. …\\nAnswer: <cot_content without its "A: ">\\n\\n``, then the question itself, whose
answer is only "Let's think step by step.". ``--llm-mmlu-pro-shots=0`` keeps the header and the
question and drops the examples.

Where we differ from the official script: a reply without a letter scores 0 (reason
``no_answer_found``); the official summary counts it right with probability 1/n by a seeded
random guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Option, parse_choice
from ..data import TABLE_SUFFIXES, DataError, pick, read_hub, read_table
from ..records import Sample
from ..scoring.choice import LETTERS
from .base import Rows
from .multiple_choice import MultipleChoice, choice_prompt, option_list

SUBJECTS = (
    "computer science", "math", "chemistry", "engineering", "law", "biology", "health",
    "physics", "business", "philosophy", "economics", "other", "psychology", "history",
)  # fmt: skip
"""The 14 values of ``category``, in the order EvalScope lists them."""

HEADER = (
    "The following are multiple choice questions (with answers) about {subject}. Think step by"
    ' step and then output the answer in the format of "The answer is (X)" at the end.\n\n'
)
EXAMPLE = "Question: {question}\nOptions: {choices}Answer: {answer}\n\n"
OPTION = "{letter}. {text}\n"
COT_CUE = "Let's think step by step."
MISSING = "N/A"

SHOTS = Option(
    "--llm-mmlu-pro-shots",
    "MMLU-Pro: 5 (the official prompt, with the subject's validation examples) or 0",
    default="5",
    parse=parse_choice("5", "0"),
)


def _answer(cot_content: str) -> str:
    """What follows "Answer: ": the worked answer of an example (without its "A: "), or only
    the cue for the question asked."""
    return (cot_content or COT_CUE).removeprefix("A: ")


def _block(question: str, options: Sequence[str], answer: str) -> str:
    """One ``Question: … Options: … Answer: …`` block, through the shared prompt builder."""
    return choice_prompt(EXAMPLE, question, options, line=OPTION, sep="", answer=answer)


def official_prompt(
    subject: str, question: str, options: Sequence[str], examples: Sequence[dict[str, Any]]
) -> str:
    """The prompt of ``evaluate_from_api.py``; `examples` are validation rows (N/A dropped)."""
    parts = [HEADER.format(subject=subject)]
    for example in examples:
        shown = [o for o in option_list(example, "options") if o != MISSING]
        worked = _answer(str(example.get("cot_content") or ""))
        parts.append(_block(str(example["question"]), shown, worked))
    parts.append(_block(question, options, COT_CUE))
    return "".join(parts)


def _by_subject(rows: list[dict[str, Any]], split: str) -> Rows:
    grouped: Rows = defaultdict(list)
    for row in rows:
        subject = str(pick(row, ("category",), "category"))
        if subject not in SUBJECTS:
            raise DataError(f"{split}: unknown category {subject!r} (known: {', '.join(SUBJECTS)})")
        grouped[subject].append(row)
    return grouped


def _split_file(folder: Path, split: str) -> Path | None:
    found = [
        f
        for f in sorted(folder.iterdir())
        if f.suffix.lower() in TABLE_SUFFIXES
        and (f.stem.lower() == split or f.stem.lower().startswith(f"{split}-"))
    ]
    if len(found) > 1:
        raise DataError(f"{folder}: several {split} files ({', '.join(f.name for f in found)})")
    return found[0] if found else None


class MmluPro(MultipleChoice):
    name = "mmlu_pro"
    subsets = SUBJECTS
    options = (SHOTS,)
    hub_path = "TIGER-Lab/MMLU-Pro"
    hub_split = "test"
    examples_split = "validation"
    data_help = (
        "a folder with test.jsonl and validation.jsonl (or .parquet/.csv/.json) in the hub's "
        "schema; a single file is the test split and needs --llm-mmlu-pro-shots=0"
    )

    def __init__(self, options: dict[str, Any] | None = None, repeats: int = 1) -> None:
        super().__init__(options, repeats)
        self._examples: Rows = {}

    @property
    def shots(self) -> int:
        return int(self.option("--llm-mmlu-pro-shots"))

    def read_rows(self, source: str | None) -> Rows:
        """Test rows by subject; the validation split's rows are kept as the examples."""
        if source is None:
            assert self.hub_path is not None
            test = read_hub(self.hub_path, None, self.hub_split)
            examples = read_hub(self.hub_path, None, self.examples_split) if self.shots else []
        else:
            test, examples = self._read_local(Path(source))
        self._examples = _by_subject(examples, self.examples_split)
        return _by_subject(test, self.hub_split)

    def _read_local(self, path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if not path.exists():
            raise DataError(f"no such file or folder: {path}")
        if path.is_file():
            if self.shots:
                raise DataError(
                    f"{path}: {self.shots}-shot needs the validation split: pass a folder with "
                    "test.jsonl and validation.jsonl, or --llm-mmlu-pro-shots=0"
                )
            return read_table(path), []
        test = _split_file(path, self.hub_split)
        if test is None:
            raise DataError(f"{path} holds no test file ({self.data_help})")
        examples = _split_file(path, self.examples_split) if self.shots else None
        if self.shots and examples is None:
            raise DataError(f"{path} holds no validation file for the {self.shots}-shot prompt")
        return read_table(test), read_table(examples) if examples else []

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question = str(pick(row, ("question",), "question"))
        listed = option_list(row, "options")
        gold = self._gold(row, listed)
        shown = [o for o in listed if o != MISSING]
        gold_shown = sum(1 for o in listed[:gold] if o != MISSING)
        examples = self._examples.get(subset, [])[: self.shots]
        if self.shots and not examples:
            raise DataError(f"the validation split has no example of {subset!r}")
        question_id = row.get("question_id", index)
        labels = {"question_id": question_id, "src": row.get("src"), "shots": len(examples)}
        prompt = official_prompt(subset, question, shown, examples)
        sample_id = f"{subset.replace(' ', '_')}-{question_id}"
        return self.choice_sample(subset, sample_id, prompt, shown, gold_shown, labels)

    @staticmethod
    def _gold(row: dict[str, Any], listed: list[str]) -> int:
        if row.get("answer_index") is not None:
            gold = int(row["answer_index"])
        else:
            letter = str(pick(row, ("answer",), "answer")).strip().upper()
            gold = LETTERS.find(letter) if len(letter) == 1 else -1
        if not 0 <= gold < len(listed) or listed[gold] == MISSING:
            raise DataError(f"question {row.get('question_id')}: answer {gold} is not an option")
        return gold
