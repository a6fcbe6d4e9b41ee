"""Form and framing: ``detectable_format:*``, ``detectable_content:*``, ``startend:*``,
``combination:*``.

Each checker states the official definition it implements (google-research
``instruction_following_eval/instructions.py``).
"""

from __future__ import annotations

import json
import re

from .registry import instruction

CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

_PLACEHOLDER = re.compile(r"\[.*?\]")
_STAR_BULLET = re.compile(r"^\s*\*[^\*].*$", flags=re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*-.*$", flags=re.MULTILINE)
_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n\*]*\*\*")
_TITLE = re.compile(r"<<[^\n]+>>")


@instruction("detectable_content:number_placeholders")
def number_placeholders(response: str, *, num_placeholders: int) -> bool:
    """At least `num_placeholders` square-bracket placeholders (``[...]``, shortest match)."""
    return len(_PLACEHOLDER.findall(response)) >= num_placeholders


@instruction("detectable_content:postscript")
def postscript(response: str, *, postscript_marker: str) -> bool:
    """A line (any case) has the marker: "P.S." also as "p. s.", "P.P.S" also as "p. p. s"
    (a space allowed after each dot); any other marker literally, as a regular expression."""
    marker = postscript_marker.strip()
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + marker.lower() + r".*$"
    return bool(re.findall(pattern, response.lower(), flags=re.MULTILINE))


@instruction("detectable_format:number_bullet_lists")
def number_bullet_lists(response: str, *, num_bullets: int) -> bool:
    """Exactly `num_bullets` lines that start (after spaces) with ``*`` not followed by another
    ``*``, or with ``-``."""
    count = len(_STAR_BULLET.findall(response)) + len(_DASH_BULLET.findall(response))
    return count == num_bullets


@instruction("detectable_format:constrained_response")
def constrained_response(response: str) -> bool:
    """The response contains one of "My answer is yes.", "My answer is no.", "My answer is
    maybe." (case as written)."""
    text = response.strip()
    return any(option in text for option in CONSTRAINED_RESPONSES)


@instruction("detectable_format:number_highlighted_sections")
def number_highlighted_sections(response: str, *, num_highlights: int) -> bool:
    """At least `num_highlights` highlights, counted as officially: the non-blank matches of
    ``*text*`` within a line, plus the non-blank matches of ``**text**`` (so "**bold**" counts
    once, through the second pattern: the first only sees its blank "**" ends)."""
    count = sum(1 for match in _HIGHLIGHT.findall(response) if match.strip("*").strip())
    count += sum(1 for match in _DOUBLE_HIGHLIGHT.findall(response) if match[2:-2].strip())
    return count >= num_highlights


@instruction("detectable_format:multiple_sections")
def multiple_sections(response: str, *, section_spliter: str, num_sections: int) -> bool:
    """At least `num_sections` section markers: the splitter word then a number ("Section 1"),
    an optional whitespace character around each."""
    splitter = section_spliter.strip()
    pieces = re.split(r"\s?" + splitter + r"\s?\d+\s?", response)
    return len(pieces) - 1 >= num_sections


@instruction("detectable_format:json_format")
def json_format(response: str) -> bool:
    """The whole response parses as JSON, once stripped and unwrapped of one markdown fence
    (```` ```json ````, ```` ```Json ````, ```` ```JSON ```` or ```` ``` ````)."""
    text = response.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        text = text.removeprefix(fence)
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@instruction("detectable_format:title")
def title(response: str) -> bool:
    """A title in double angular brackets, ``<<like this>>``, on one line and not blank."""
    return any(match.lstrip("<").rstrip(">").strip() for match in _TITLE.findall(response))


@instruction("combination:two_responses")
def two_responses(response: str) -> bool:
    """Exactly two different non-blank responses separated by ``******``; a blank piece is
    allowed only before the first or after the last separator."""
    pieces = response.split("******")
    answers = []
    for index, piece in enumerate(pieces):
        if piece.strip():
            answers.append(piece)
        elif index not in (0, len(pieces) - 1):
            return False
    return len(answers) == 2 and answers[0].strip() != answers[1].strip()


@instruction("combination:repeat_prompt")
def repeat_prompt(response: str, *, prompt_to_repeat: str) -> bool:
    """The response starts with the request, word for word (any case, outer spaces ignored)."""
    return response.strip().lower().startswith(prompt_to_repeat.strip().lower())


@instruction("startend:end_checker")
def end_checker(response: str, *, end_phrase: str) -> bool:
    """The response ends with the phrase (any case), once stripped of spaces and then of
    double quotes."""
    return response.strip().strip('"').lower().endswith(end_phrase.strip().lower())


@instruction("startend:quotation")
def quotation(response: str) -> bool:
    """The stripped response starts and ends with a double quote (and is longer than one)."""
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'
