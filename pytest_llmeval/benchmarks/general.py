"""The user's own data, no code: ``general_qa`` (question → answer) and ``general_mcq`` (question,
options → letter), EvalScope's two custom formats.

Neither has a hub copy: ``--llm-data general_qa=PATH``. PATH is one JSONL/JSON/CSV/parquet file,
whose rows name their subset in a ``subset`` (or ``category``) column, or else form one subset
named after the file (``example.jsonl`` → ``example``, as EvalScope names it); or a folder with
one such file per subset. ``general_mcq`` also reads EvalScope's MCQ folder as it is:
``{subset}_val.csv`` is subset ``{subset}``, and ``{subset}_dev.csv`` (few-shot examples, which
are not used here) is skipped.

general_qa rows: ``question`` (or ``query``), ``answer`` (or ``response``), optional ``system``;
or ``messages`` (a chat, sent as it is) with ``answer``. The question goes to the model as it is
(EvalScope's general_qa since v1.0 sends the chat without a template). Scoring,
``--llm-general-scorer``: ``exact`` (the default) compares the reply and the answer after
stripping, case-folding and collapsing whitespace; ``math`` checks the reply's final expression
with math-verify (as AIME does); ``judge`` asks the LLM judge with SimpleQA's rubric
(``--llm-judge-model``; ``--llm-judge-template`` replaces the rubric) and counts CORRECT.

general_mcq rows: ``question``, the options either as a list (``options`` or ``choices``) or as
columns ``A``, ``B``, ``C``, … (EvalScope's format, up to ``J``), and ``answer``, the letter.
Prompt: EvalScope's general_mcq default (``CHINESE_SINGLE_ANSWER_TEMPLATE``, v1.3 on), options
shown as ``A) …``; the reply's letter is read by `scoring.choice`.

Both report ``AverageAccuracy`` (and pass@1 / pass@N with ``--llm-repeats N``).
"""

from __future__ import annotations

import ast
import functools
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar

from ..config import Option, parse_choice
from ..data import TABLE_SUFFIXES, DataError, read_table
from ..records import Outcome, Sample, Verdict
from ..scoring.choice import LETTERS, MAX_OPTIONS, score_choice
from ..scoring.judge import SIMPLEQA_GRADER_TEMPLATE, Grade, load_template
from ..scoring.math import check_answer
from .base import Rows, RunContext
from .common import PassAtK
from .simple_qa import JUDGE_TEMPLATE, judge_grade

SUBSET_FIELDS = ("subset", "category")
METRIC = "AverageAccuracy"


def _present(value: Any) -> bool:
    """A cell that holds something: CSV's empty cells arrive as NaN, JSON's as null or ""."""
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def field(row: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The first of `names` the row fills, or None."""
    return next((row[name] for name in names if name in row and _present(row[name])), None)


def _as_list(value: Any, what: str) -> list[Any]:
    """A list from JSON/parquet (a list or an array) or from a CSV cell holding a JSON or
    Python list literal."""
    if isinstance(value, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(value)
                break
            except (ValueError, SyntaxError):
                continue
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise DataError(f"{what} must be a list, got {str(value)[:60]!r}")
    return list(value)


def normalise(text: str) -> str:
    """Exact-match normal form: stripped, case-folded, runs of whitespace as one space."""
    return " ".join(str(text).casefold().split())


class UserData(PassAtK):
    """Data of the user's: subsets come from the data itself, not from a list in the code."""

    metrics = (METRIC,)
    data_help = ""  # no hub copy: the base class's one line says to pass --llm-data
    eval_suffix: ClassVar[str | None] = None
    """A file stem ending so (``example_val``) names the subset without it."""
    skip_suffix: ClassVar[str | None] = None
    """Files whose stem ends so (``example_dev``) are not evaluation data."""

    # -- data ------------------------------------------------------------------------------
    def load(self, source: str | None) -> list[Sample]:
        """Every subset the data holds, in its order (files: by name); ids must be unique."""
        samples = [
            self.sample(subset, index, row)
            for subset, rows in self.read_rows(source).items()
            for index, row in enumerate(rows)
        ]
        seen: set[str] = set()
        for sample in samples:
            if sample.id in seen:
                raise DataError(f"{source}: two rows of subset {sample.subset!r} share an id")
            seen.add(sample.id)
        return samples

    def read_rows(self, source: str | None) -> Rows:
        if source is None:
            return super().read_rows(None)  # no hub copy: one line asking for --llm-data
        path = Path(source)
        if not path.exists():
            raise DataError(f"no such file or folder: {path}")
        if path.is_file():
            return self.group(read_table(path), path)
        rows: Rows = {}
        for file in sorted(path.iterdir()):
            if file.suffix.lower() not in TABLE_SUFFIXES:
                continue
            if self.skip_suffix and file.stem.endswith(self.skip_suffix):
                continue
            subset = self.subset_name(file)
            if subset in rows:
                raise DataError(f"{path}: two files for subset {subset!r}")
            rows[subset] = read_table(file)
        if not rows:
            raise DataError(f"{path} holds no data file ({', '.join(TABLE_SUFFIXES)})")
        return rows

    def subset_name(self, file: Path) -> str:
        stem = file.stem
        if self.eval_suffix and stem.endswith(self.eval_suffix) and stem != self.eval_suffix:
            return stem.removesuffix(self.eval_suffix)
        return stem

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """One file: by its subset (or category) column, else one subset named after it."""
        if not rows:
            raise DataError(f"{source}: no rows")
        column = next((name for name in SUBSET_FIELDS if name in rows[0]), None)
        if column is None:
            return {self.subset_name(source): rows}
        grouped: Rows = defaultdict(list)
        for number, row in enumerate(rows, 1):
            value = row.get(column)
            if not _present(value):
                raise DataError(f"{source}: row {number} has no {column}")
            grouped[str(value).strip()].append(row)
        return dict(grouped)

    def sample_id(self, subset: str, index: int, row: dict[str, Any]) -> str:
        """``{subset}-{id}`` with the row's own id, else ``{subset}-{position}``."""
        own = field(row, ("id",))
        return f"{subset}-{own if own is not None else index}"

    @staticmethod
    def required(row: dict[str, Any], names: tuple[str, ...], what: str, where: str) -> Any:
        value = field(row, names)
        if value is None:
            raise DataError(
                f"{where}: no {what} (looked for {', '.join(names)}; has {', '.join(row)})"
            )
        return value


# -- general_qa -----------------------------------------------------------------------------
SCORER = Option(
    "--llm-general-scorer",
    "general_qa scoring: exact (normalised exact match), math (math-verify) or judge "
    "(the LLM judge, SimpleQA's rubric)",
    default="exact",
    parse=parse_choice("exact", "math", "judge"),
)


class GeneralQA(UserData):
    name = "general_qa"
    options = (SCORER, JUDGE_TEMPLATE)

    @property
    def scorer(self) -> str:
        return self.option("--llm-general-scorer")

    @property
    def needs_judge(self) -> bool:  # type: ignore[override]
        return self.scorer == "judge"

    @functools.cached_property
    def template(self) -> str:
        path = self.option("--llm-judge-template")
        return load_template(path) if path else SIMPLEQA_GRADER_TEMPLATE

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        sample_id = self.sample_id(subset, index, row)
        where = f"general_qa {sample_id}"
        chat = field(row, ("messages",))
        if chat is not None:
            messages = [self._message(m, where) for m in _as_list(chat, f"{where}: messages")]
            users = [m["content"] for m in messages if m["role"] == "user"]
            question = users[-1] if users else ""
        else:
            question = str(self.required(row, ("question", "query"), "question", where))
            system = field(row, ("system",))
            messages = [{"role": "system", "content": str(system)}] if system is not None else []
            messages.append({"role": "user", "content": question})
        answer = self.required(row, ("answer", "response"), "answer", where)
        return Sample(
            id=sample_id,
            dataset=self.name,
            subset=subset,
            messages=messages,
            target=str(answer).strip(),
            category=self.category(subset),
            meta={"question": question},
        )

    @staticmethod
    def _message(message: Any, where: str) -> dict[str, str]:
        if not isinstance(message, dict) or not {"role", "content"} <= set(message):
            raise DataError(f"{where}: each message needs a role and a content")
        if message["role"] not in ("system", "user", "assistant"):
            raise DataError(f"{where}: unknown message role {message['role']!r}")
        return {"role": str(message["role"]), "content": str(message["content"])}

    async def generate(self, sample: Sample, ctx: RunContext) -> None:
        await super().generate(sample, ctx)
        final = ctx.outcome.final
        if self.scorer == "judge" and not final.refused:  # a refusal scores 0 unjudged
            await judge_grade(
                ctx, self.template, sample.meta["question"], sample.target, final.text
            )

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        reply = outcome.final.text
        if self.scorer == "math":
            checked = check_answer(reply, sample.target)
            correct, reason, extracted = checked.correct, checked.reason, checked.extracted
        elif self.scorer == "judge":
            grade = Grade(outcome.extra["grade"])
            correct, extracted = grade is Grade.CORRECT, reply
            reason = "correct" if correct else f"judge: {grade.value} (gold: {sample.target})"
        else:
            correct, extracted = normalise(reply) == normalise(sample.target), reply
            reason = "correct" if correct else f"expected {sample.target!r}, got {reply[:80]!r}"
        return Verdict(correct, reason, {METRIC: float(correct)}, extracted)


# -- general_mcq ----------------------------------------------------------------------------
MCQ_PROMPT = (
    "回答下面的单项选择题，请选出其中的正确答案。你的回答的全部内容应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 {letters} 中的一个。\n'
    "\n"
    "问题：{question}\n"
    "选项：\n"
    "{choices}\n"
)
"""EvalScope's general_mcq default prompt (v1.3 on: ``MultipleChoiceTemplate``'s
``CHINESE_SINGLE_ANSWER_TEMPLATE``): letters as ``A,B,C,D``, one ``A) option`` line per option."""


def mcq_prompt(question: str, options: list[str]) -> str:
    letters = LETTERS[: len(options)]
    return MCQ_PROMPT.format(
        question=question,
        letters=",".join(letters),
        choices="\n".join(f"{letter}) {option}" for letter, option in zip(letters, options)),
    )


class GeneralMCQ(UserData):
    name = "general_mcq"
    eval_suffix = "_val"
    skip_suffix = "_dev"

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        sample_id = self.sample_id(subset, index, row)
        where = f"general_mcq {sample_id}"
        question = str(self.required(row, ("question",), "question", where))
        options = self._options(row, where)
        letter = str(self.required(row, ("answer",), "answer", where)).strip().upper()
        if len(letter) != 1 or letter not in LETTERS[: len(options)]:
            raise DataError(
                f"{where}: answer {letter!r} is not one of its {len(options)} option letters "
                f"({','.join(LETTERS[: len(options)])})"
            )
        return Sample(
            id=sample_id,
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": mcq_prompt(question, options)}],
            target=letter,
            category=self.category(subset),
            meta={"options": options},
        )

    @staticmethod
    def _options(row: dict[str, Any], where: str) -> list[str]:
        """A list column, or the letter columns A, B, … up to the first one missing."""
        listed = field(row, ("options", "choices"))
        if listed is not None:
            options = [str(o) for o in _as_list(listed, f"{where}: options")]
        else:
            options = []
            for letter in LETTERS:
                if not _present(row.get(letter)):
                    break
                options.append(str(row[letter]))
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise DataError(
                f"{where}: {len(options)} options (2 to {MAX_OPTIONS}: a list in options, "
                "or columns A, B, C, …)"
            )
        return options

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        verdict = score_choice(outcome.final.text, sample.target, len(sample.meta["options"]))
        return Verdict(
            verdict.correct, verdict.reason, {METRIC: float(verdict.correct)}, verdict.extracted
        )
