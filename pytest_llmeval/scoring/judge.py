"""LLM-judge grading for SimpleQA-style benchmarks: grader prompts, reply parsing, metrics.

The judge sees a question, the gold target and the predicted answer and gives one of three
grades (the SimpleQA rubric). This module builds the judge's prompt, turns its free-form reply
into a `Grade` (or `None` when the reply cannot be trusted, so the caller can retry) and turns
grade counts into the benchmark's metrics.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Grade(StrEnum):
    """The three SimpleQA grades; the judge names them by letter A, B, C."""

    CORRECT = "CORRECT"
    INCORRECT = "INCORRECT"
    NOT_ATTEMPTED = "NOT_ATTEMPTED"


PLACEHOLDERS = ("question", "target", "predicted")

SIMPLEQA_GRADER_TEMPLATE = """\
You are grading one answer to a short factual question. You will see the question, the gold \
target (the reference answer) and a predicted answer. Give the predicted answer exactly one \
grade: CORRECT, INCORRECT or NOT_ATTEMPTED. Examples of each grade come first, then the answer \
you must grade.

## CORRECT
Question: Which two chemical elements did Marie Curie discover?
Gold target: Polonium and radium
Predicted answer 1: radium and polonium
Predicted answer 2: I believe polonium and radium, though I would want to double-check.
Predicted answer 3: She discovered polonium (in 1898, named after Poland) and radium, and later \
isolated pure radium metal in 1910.
These are CORRECT because:
- they contain the essential information of the gold target and nothing that contradicts it;
- only meaning counts: case, punctuation, grammar, word order and language do not matter;
- hedging or guessing is fine as long as the final answer is the gold target;
- extra information is fine as long as it does not contradict the gold target.

## INCORRECT
Question: Which two chemical elements did Marie Curie discover?
Gold target: Polonium and radium
Predicted answer 1: Radium and uranium.
Predicted answer 2: Either polonium and radium, or radium and actinium; I am not sure which pair.
Predicted answer 3: I'm not certain, but I think it was radium and helium.
These are INCORRECT because:
- a factual statement in the answer contradicts the gold target; hedged wording ("I think", \
"possibly") does not rescue a wrong answer;
- offering several candidate answers of which any one is wrong is INCORRECT, even when hedged.

## NOT_ATTEMPTED
Question: Which two chemical elements did Marie Curie discover?
Gold target: Polonium and radium
Predicted answer 1: I don't know.
Predicted answer 2: I can't answer that without looking it up.
Predicted answer 3: She made several famous discoveries in the study of radioactivity.
Predicted answer 4: I'm not sure which elements she discovered, but she won two Nobel Prizes.
These are NOT_ATTEMPTED because:
- the essential information of the gold target is missing from the answer;
- nothing in the answer contradicts the gold target.

## More rules
- Numbers: a number is CORRECT when it agrees with the gold target up to the gold target's last \
significant figure. For the gold target "1.6 million", "1.62 million" and "about 1.6 million" \
are CORRECT, "1.5 million" is INCORRECT, and "more than a million" is NOT_ATTEMPTED (it neither \
confirms nor contradicts the gold target).
- What the question already states need not be repeated. For "How tall, in metres, is the \
Eiffel Tower including its antennas?" with gold target "330 metres", the answer "330" is CORRECT; \
for "Which Nobel Prize did Dorothy Hodgkin win in 1964?" with gold target "the Nobel Prize in \
Chemistry", the answer "Chemistry" is CORRECT.
- Small spelling differences in names are fine when the person or thing is clearly the same: \
for the gold target "Tchaikovsky", "Tschaikowsky" is CORRECT.
- Grade against the gold target even if you believe it is wrong.

## The answer to grade
Question: {question}
Gold target: {target}
Predicted answer: {predicted}

Grades:
A: CORRECT
B: INCORRECT
C: NOT_ATTEMPTED

Reply with a single letter, A, B or C, and nothing else.
"""

CHINESE_SIMPLEQA_GRADER_TEMPLATE = """\
你的任务是为一道简短事实问题的回答评分。你会看到问题、标准答案和模型的预测答案。请给预测答案评定\
唯一一个等级：【正确】、【错误】或【未尝试】。下面先给出每个等级的示例，然后是需要你评定的回答。

## 【正确】
问题：居里夫人发现了哪两种化学元素？
标准答案：钋和镭
预测答案1：镭和钋
预测答案2：我记得是钋和镭，不过最好再核实一下。
预测答案3：她在1898年发现了钋（以她的祖国波兰命名）和镭，并于1910年分离出纯金属镭。
预测答案4：Polonium and radium
这些回答都是【正确】，因为：
- 包含了标准答案的关键信息，且没有与标准答案矛盾的内容；
- 只看语义：大小写、标点、语法、语序以及中英文都不重要；
- 含有不确定或猜测的语气也可以，只要最终答案就是标准答案；
- 额外信息也可以，只要不与标准答案矛盾。

## 【错误】
问题：居里夫人发现了哪两种化学元素？
标准答案：钋和镭
预测答案1：镭和铀。
预测答案2：可能是钋和镭，也可能是镭和锕，我不确定是哪一组。
预测答案3：我不太确定，但应该是镭和氦。
这些回答都是【错误】，因为：
- 回答中有事实性陈述与标准答案矛盾；“我认为”“可能”之类的不确定语气不能挽救错误的答案；
- 给出多个候选答案而其中任何一个是错的，即使语气不确定，也是【错误】。

## 【未尝试】
问题：居里夫人发现了哪两种化学元素？
标准答案：钋和镭
预测答案1：我不知道。
预测答案2：不查资料的话我无法回答。
预测答案3：她在放射性研究方面有多项重要发现。
预测答案4：我不确定她发现了哪些元素，但她两次获得了诺贝尔奖。
这些回答都是【未尝试】，因为：
- 回答中没有标准答案的关键信息；
- 回答中没有与标准答案矛盾的内容。

## 其他规则
- 数字：预测的数字与标准答案在标准答案的最后一位有效数字上一致即为【正确】。例如标准答案为“160万”时，\
“162万”和“约160万”为【正确】，“150万”为【错误】，“超过100万”为【未尝试】（既不证实也不否定标准答案）。
- 问题中已经包含的信息无需在回答中重复。例如问题“埃菲尔铁塔（含天线）高多少米？”、标准答案“330米”时，\
回答“330”为【正确】；问题“多萝西·霍奇金在1964年获得了哪个诺贝尔奖？”、标准答案“诺贝尔化学奖”时，\
回答“化学奖”为【正确】。
- 人名的细微拼写或译名差异可以接受，只要明显指同一个人或事物：标准答案为“柴可夫斯基”时，“柴科夫斯基”为【正确】。
- 即使你认为标准答案有误，也请以标准答案为准进行评定。

## 需要评定的回答
问题：{question}
标准答案：{target}
预测答案：{predicted}

等级：
A：【正确】
B：【错误】
C：【未尝试】

只回复一个字母：A、B 或 C，不要输出其他内容。
"""

_PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def load_template(path: Path) -> str:
    """Read a user's grader template, refusing one that could not show the judge the sample."""
    template = path.read_text(encoding="utf-8")
    missing = [name for name in PLACEHOLDERS if "{" + name + "}" not in template]
    if missing:
        needed = ", ".join("{" + name + "}" for name in missing)
        raise ValueError(f"judge template {path} lacks the placeholder(s) {needed}")
    return template


def fill_template(template: str, question: str, target: str, predicted: str) -> str:
    """Substitute the three placeholders in one pass.

    Only `{question}`, `{target}` and `{predicted}` are replaced; every other brace is literal, so
    templates need no escaping, and braces inside the inserted texts are never re-read (a question
    that contains "{target}" stays as written).
    """
    values = {"question": question, "target": target, "predicted": predicted}
    return _PLACEHOLDER_RE.sub(lambda match: values[match.group(1)], template)


def grader_messages(
    template: str, question: str, target: str, predicted: str
) -> list[dict[str, str]]:
    """The judge's chat request: the filled template as one user message."""
    return [{"role": "user", "content": fill_template(template, question, target, predicted)}]


# ---------------------------------------------------------------- parsing the judge's reply

_GRADE_BY_TERM = {
    "A": Grade.CORRECT,
    "CORRECT": Grade.CORRECT,
    "正确": Grade.CORRECT,
    "B": Grade.INCORRECT,
    "INCORRECT": Grade.INCORRECT,
    "错误": Grade.INCORRECT,
    "C": Grade.NOT_ATTEMPTED,
    "NOTATTEMPTED": Grade.NOT_ATTEMPTED,
    "未尝试": Grade.NOT_ATTEMPTED,
}

# Building blocks. A letter must stand alone (not inside a word); an English grade word must not
# be part of a longer word, which is what keeps "CORRECT" from matching inside "INCORRECT".
_LETTER = r"(?<![A-Za-z])[ABC](?![A-Za-z])"
_ANY_CASE_LETTER = r"(?<![A-Za-z])[ABCabc](?![A-Za-z])"
_EN_WORD = r"(?<![A-Za-z_])(?i:not[ _-]?attempted|incorrect|correct)(?![A-Za-z_])"
_ZH_WORD = r"未尝试|正确|错误"
_WORD = rf"{_EN_WORD}|{_ZH_WORD}"
_OPEN = r"[ \t*_`~#>\"'“‘(\[（【]"
_CLOSE = r"[ \t*_`~\"'”’)\]）】.。!！:：]"
# Between a cue and its grade: markup, quotes, a colon; never a sentence end ("answer. A ...").
_GAP = r"[^\w\n.!?。！？]{0,4}"
_COPULA = rf"(?:(?i:is|would\s+be|should\s+be|will\s+be)\b{_GAP})?"
_LETTER_CUE = (
    r"(?i:\b(?:final\s+)?(?:grade|answer|verdict|judge?ment|rating|choice|option|decision"
    r"|result|conclusion|label|classification)\b|\b(?:as|so|thus|hence|therefore|choose|chose"
    r"|pick|picked|select|selected)\b)"
)
_WORD_CUE = (
    r"(?i:\b(?:final\s+)?(?:grade|verdict|judge?ment|rating|label|classification|conclusion"
    r"|assessment)\b)"
)
_GRADED_AS = (
    r"(?i:\b(?:grade[ds]?|classif(?:y|ies|ied)|mark(?:s|ed)?|rate[ds]?|label(?:s|led|ed)?)\s+"
    r"(?:(?:it|this|that|the\s+(?:prediction|response|answer))\s+)?as\b)"
)
_ZH_CUE = (
    rf"(?:评定|判定|评级|等级|结论|结果|答案|选项|选择){_GAP}(?:(?:应该|应当|应)?[为是]{_GAP})?"
)

# A line that is nothing but a grade: "B", "(b).", "**C**", "Incorrect", "【正确】".
_WHOLE_LINE = re.compile(rf"^{_OPEN}*(?P<term>{_ANY_CASE_LETTER}|{_WORD}){_CLOSE}*$", re.MULTILINE)

# Explicit grades: the judge plainly states a grade.
_EXPLICIT_PATTERNS = [
    _WHOLE_LINE,
    # a line that opens with a grade and a separator: "A: CORRECT", "B. The year is wrong"
    re.compile(
        rf"^{_OPEN}*(?P<term>{_LETTER}|{_WORD})[*_`\"'”’)\]）】]*[ \t]*[.:：)\-–—]", re.MULTILINE
    ),
    # a grade set off by markup or brackets anywhere: "**B**", "(A)", "[C]", "【错误】", "'B'"
    re.compile(
        rf"(?:\*\*|__|[(\[（【\"'“‘`])[ \t]*(?P<term>{_LETTER}|{_WORD})[ \t]*"
        rf"(?:\*\*|__|[)\]）】\"'”’`])"
    ),
    # the rubric's own labels, written in capitals: CORRECT, INCORRECT, NOT_ATTEMPTED
    re.compile(r"(?<![A-Za-z_])(?P<term>NOT[ _-]ATTEMPTED|INCORRECT|CORRECT)(?![A-Za-z_])"),
    # a letter after a cue: "Grade: B", "the answer is C", "I choose A", "so B"
    re.compile(rf"{_LETTER_CUE}{_GAP}{_COPULA}(?P<term>{_LETTER})"),
    # a grade word after a grading noun: "Verdict: incorrect", "the grade is not attempted"
    re.compile(rf"{_WORD_CUE}{_GAP}{_COPULA}(?P<term>{_EN_WORD})"),
    # a lowercase letter ending a line after a grading noun: "grade: b"
    re.compile(
        rf"{_WORD_CUE}{_GAP}{_COPULA}(?P<term>{_ANY_CASE_LETTER})(?=[^\w\n]*$)", re.MULTILINE
    ),
    # "graded as not attempted", "I'd mark it as correct"
    re.compile(rf"{_GRADED_AS}{_GAP}(?P<term>{_LETTER}|{_EN_WORD})"),
    # Chinese cues: "评定为错误", "答案：B", "结论是未尝试"
    re.compile(rf"{_ZH_CUE}(?P<term>{_LETTER}|{_ZH_WORD})"),
]

# Grade words used in passing: "the prediction is incorrect", "预测答案是正确的".
_PROSE_PATTERNS = [
    re.compile(rf"(?i:\b(?:is|was|are|be)\b)[ \t]+[*_\"'“‘`]*(?P<term>{_EN_WORD})"),
    re.compile(rf"(?:是|为|属于)(?P<term>{_ZH_WORD})"),
]

# A mention preceded by a negation ("not A", "rather than B", "不是正确") names a grade the judge
# rejects, so it is no mention at all.
_NEGATION_BEFORE = re.compile(
    r"(?:(?i:\bnot|n't|\bnever|\brather\s+than|\binstead\s+of)\s+(?i:option\s+|grade\s+)?"
    r"|不是|不|非)[ \t*_`\"'“‘(\[（【]*$"
)
_NEGATION_WINDOW = 40

# Any grade term at all, used only to spot a rival written right next to a deciding mention.
# A capital letter followed by a lowercase word ("A careful reading") is an article, not a term.
_ANY_TERM = re.compile(rf"(?P<term>{_LETTER}(?![ \t]+[a-z])|{_WORD})")

# Between two terms of one statement ("A: CORRECT", "A. INCORRECT", "A or B", "(A) and (B)"): on
# one line, nothing but punctuation, markup or spaces, and at most one "or"/"and".
_NEAR = r"(?:[^\w\n]|_)*+"
_ADJACENT_GAP = re.compile(rf"{_NEAR}(?:(?i:or|and|vs)\b|或者?|还是|和)?{_NEAR}")

_JSON_GRADE_KEYS = ("grade", "verdict", "judgement", "judgment", "answer", "result", "label")
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    grade: Grade


def parse_grade(reply: str) -> Grade | None:
    """Read one grade from a judge's reply; `None` when none can be read with confidence.

    Rules, in order:

    1. Reasoning is not the verdict: `<think>…</think>` blocks are dropped; so is text before a
       stray closing `</think>` and after an unclosed `<think>`.
    2. A JSON object (bare, fenced or embedded) with a grade key (`grade`, `verdict`,
       `judgement`, `judgment`, `answer`, `result`, `label`; any case) decides alone: its value
       must name a grade by itself ("A", "correct", "NOT_ATTEMPTED", "正确"…), otherwise `None`.
    3. Explicit mentions are collected: a line that is only a grade (any case, markup and
       punctuation around it allowed); a line opening with a grade and a separator
       ("A: CORRECT"); a grade set off by `**`, brackets, 【】 or quotes; the rubric's labels in
       capitals (CORRECT, INCORRECT, NOT_ATTEMPTED); a grade after a cue ("Grade: B",
       "the answer is C", "so B", "graded as incorrect", "评定为错误"). Outside a line of its
       own or a "grade:" label, a letter counts only in capitals, so the article "a" is never
       a grade.
    4. The last explicit mention decides: reasoning comes before its conclusion, so letters
       mentioned earlier lose to it.
    5. With no explicit mention, grade words used in passing decide ("the prediction is
       incorrect", "是正确的"), but only if they all agree.
    6. A deciding mention with a different grade written right beside it (same line, only
       punctuation, markup or one "or"/"and" between, as in "A: INCORRECT", "A or B",
       "correct or incorrect") is a contradiction: `None`. So is a reply with nothing
       recognisable.

    Words match whole words only, so "INCORRECT" never reads as CORRECT and "attempted" alone is
    no grade. A term right after a negation ("not A", "rather than B", "不正确") is ignored.
    """
    text = _drop_reasoning(reply).strip()
    if not text:
        return None
    grade_field = _json_grade_field(text)
    if grade_field is not None:
        return _grade_of_whole(grade_field)
    deciding = _mentions(text, _EXPLICIT_PATTERNS)[-1:] or _mentions(text, _PROSE_PATTERNS)
    grades = {mention.grade for mention in deciding}
    if len(grades) != 1 or _has_rival_nearby(text, deciding):
        return None
    return grades.pop()


def _drop_reasoning(reply: str) -> str:
    """Keep only what the judge said after thinking."""
    text = _THINK_BLOCK.sub("", reply)
    text = text.rpartition("</think>")[2]
    return text.partition("<think>")[0]


def _json_grade_field(text: str) -> str | None:
    """The grade field of a JSON object in the reply, as text; `None` when there is none."""
    candidate = text[text.find("{") : text.rfind("}") + 1]
    if not candidate:
        return None
    try:
        data: Any = json.loads(candidate)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    by_key = {str(key).strip().lower(): value for key, value in data.items()}
    for key in _JSON_GRADE_KEYS:
        if key in by_key:
            return str(by_key[key])
    return None


def _grade_of_whole(value: str) -> Grade | None:
    """The grade a short string names on its own, e.g. a JSON field: "B", "**correct**"."""
    match = _WHOLE_LINE.fullmatch(value.strip())
    return _grade_of_term(match.group("term")) if match else None


def _grade_of_term(term: str) -> Grade:
    normalised = re.sub(r"[ _-]", "", term.upper())
    return _GRADE_BY_TERM[normalised]


def _mentions(text: str, patterns: list[re.Pattern[str]]) -> list[_Mention]:
    """Every grade mention the patterns find, in reading order, one per position."""
    by_start: dict[int, _Mention] = {}
    for pattern in patterns:
        for match in pattern.finditer(text):
            start, end = match.span("term")
            if not _is_negated(text, start):
                by_start.setdefault(
                    start, _Mention(start, end, _grade_of_term(match.group("term")))
                )
    return [by_start[start] for start in sorted(by_start)]


def _is_negated(text: str, start: int) -> bool:
    return bool(_NEGATION_BEFORE.search(text[max(0, start - _NEGATION_WINDOW) : start]))


def _has_rival_nearby(text: str, deciding: list[_Mention]) -> bool:
    """Whether a deciding mention shares its statement with another grade ("A: INCORRECT")."""
    starts = {mention.start for mention in deciding}
    return any(
        len({mention.grade for mention in statement}) > 1
        for statement in _statements(text)
        if any(mention.start in starts for mention in statement)
    )


def _statements(text: str) -> list[list[_Mention]]:
    """All grade terms, grouped into runs that only punctuation, markup or "or" separate."""
    statements: list[list[_Mention]] = []
    for mention in _mentions(text, [*_EXPLICIT_PATTERNS, *_PROSE_PATTERNS, _ANY_TERM]):
        if statements and _ADJACENT_GAP.fullmatch(text[statements[-1][-1].end : mention.start]):
            statements[-1].append(mention)
        else:
            statements.append([mention])
    return statements


# ---------------------------------------------------------------- metrics


def grade_metrics(grade: Grade) -> dict[str, float]:
    """One sample's indicators; their means over samples are exactly `GradeCounts.metrics`."""
    return {
        "is_correct": float(grade is Grade.CORRECT),
        "is_incorrect": float(grade is Grade.INCORRECT),
        "is_not_attempted": float(grade is Grade.NOT_ATTEMPTED),
    }


@dataclass
class GradeCounts:
    """Tally of judged samples (judge errors are not grades and are counted elsewhere)."""

    correct: int = 0
    incorrect: int = 0
    not_attempted: int = 0

    def add(self, grade: Grade) -> None:
        if grade is Grade.CORRECT:
            self.correct += 1
        elif grade is Grade.INCORRECT:
            self.incorrect += 1
        else:
            self.not_attempted += 1

    @property
    def judged(self) -> int:
        return self.correct + self.incorrect + self.not_attempted

    def metrics(self) -> dict[str, float]:
        """EvalScope's three rates plus the SimpleQA paper's headline figures."""
        is_correct = _ratio(self.correct, self.judged)
        correct_given_attempted = _ratio(self.correct, self.correct + self.incorrect)
        return {
            "is_correct": is_correct,
            "is_incorrect": _ratio(self.incorrect, self.judged),
            "is_not_attempted": _ratio(self.not_attempted, self.judged),
            "correct_given_attempted": correct_given_attempted,
            "f_score": _harmonic_mean(is_correct, correct_given_attempted),
        }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _harmonic_mean(first: float, second: float) -> float:
    total = first + second
    return 2 * first * second / total if total else 0.0
