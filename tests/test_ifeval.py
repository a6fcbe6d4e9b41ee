"""IFEval: every official instruction with responses that follow it and that do not (written from
its definition), the loose variants, and the four official figures computed by hand."""

from __future__ import annotations

import pytest

from pytest_llmeval.scoring.ifeval import (
    INSTRUCTION_IDS,
    IFEvalResult,
    bind,
    evaluate,
    ifeval_figures,
    instruction_accuracy,
    loose_variants,
)
from pytest_llmeval.scoring.ifeval.text import count_words, detect_language, word_tokens

# The 25 instructions of the official registry (google-research instruction_following_eval).
OFFICIAL_IDS = {
    "keywords:existence",
    "keywords:frequency",
    "keywords:forbidden_words",
    "keywords:letter_frequency",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_paragraphs",
    "length_constraints:number_words",
    "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders",
    "detectable_content:postscript",
    "detectable_format:number_bullet_lists",
    "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections",
    "detectable_format:multiple_sections",
    "detectable_format:json_format",
    "detectable_format:title",
    "combination:two_responses",
    "combination:repeat_prompt",
    "startend:end_checker",
    "change_case:capital_word_frequency",
    "change_case:english_capital",
    "change_case:english_lowercase",
    "punctuation:no_comma",
    "startend:quotation",
}

# Every argument the hub's rows carry for every instruction, None where unused.
HUB_KEYS = (
    "num_highlights",
    "relation",
    "num_words",
    "num_placeholders",
    "prompt_to_repeat",
    "num_paragraphs",
    "first_word",
    "postscript_marker",
    "num_sentences",
    "forbidden_words",
    "language",
    "let_relation",
    "letter",
    "let_frequency",
    "end_phrase",
    "keywords",
    "num_sections",
    "section_spliter",
    "nth_paragraph",
    "num_bullets",
    "keyword",
    "frequency",
    "capital_relation",
    "capital_frequency",
)


def hub(**used):
    """Arguments as a `google/IFEval` row gives them: all keys, None where unused."""
    return {key: used.get(key) for key in HUB_KEYS}


FRENCH = "Le chat dort sur le canapé pendant que la pluie tombe doucement sur la ville."
ENGLISH = "The cat sleeps on the sofa while the rain falls softly over the city."

# (instruction id, arguments, response, followed) - strict evaluation
CASES = [
    # keywords
    ("keywords:existence", {"keywords": ["moon", "tide"]}, "The Moon pulls the tides.", True),
    ("keywords:existence", {"keywords": ["moon", "tide"]}, "The moon is bright.", False),
    (
        "keywords:frequency",
        {"keyword": "river", "frequency": 3, "relation": "at least"},
        "River, river and rivers.",  # any case, inside other words too
        True,
    ),
    (
        "keywords:frequency",
        {"keyword": "river", "frequency": 3, "relation": "at least"},
        "One river, two rivers.",
        False,
    ),
    (
        "keywords:frequency",
        {"keyword": "cat", "frequency": 2, "relation": "less than"},
        "A cat.",
        True,
    ),
    (
        "keywords:frequency",
        {"keyword": "cat", "frequency": 2, "relation": "less than"},
        "My cat reads a catalog.",  # "catalog" counts
        False,
    ),
    (
        "keywords:forbidden_words",
        {"forbidden_words": ["red", "blue"]},
        "Bluebirds are redundant.",  # whole words only
        True,
    ),
    ("keywords:forbidden_words", {"forbidden_words": ["red", "blue"]}, "The sky is Blue.", False),
    (
        "keywords:letter_frequency",
        {"letter": "z", "let_frequency": 3, "let_relation": "at least"},
        "Zebras zigzag.",
        True,
    ),
    (
        "keywords:letter_frequency",
        {"letter": "z", "let_frequency": 3, "let_relation": "at least"},
        "A lazy fox.",
        False,
    ),
    (
        "keywords:letter_frequency",
        {"letter": "E", "let_frequency": 2, "let_relation": "less than"},
        "A cat sat.",
        True,
    ),
    (
        "keywords:letter_frequency",
        {"letter": "E", "let_frequency": 2, "let_relation": "less than"},
        "Eerie.",
        False,
    ),
    # language
    ("language:response_language", {"language": "fr"}, FRENCH, True),
    ("language:response_language", {"language": "fr"}, ENGLISH, False),
    ("language:response_language", {"language": "fr"}, "12345 !!!", True),  # undetectable
    # length constraints
    (
        "length_constraints:number_sentences",
        {"num_sentences": 3, "relation": "at least"},
        "Dr. Smith arrived. He sat down. Then he left.",
        True,
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 3, "relation": "at least"},
        "Dr. Smith arrived. He sat down.",  # "Dr." ends no sentence
        False,
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 2, "relation": "less than"},
        "One sentence only.",
        True,
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 2, "relation": "less than"},
        "One. Two.",
        False,
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 3},
        "First.\n***\nSecond.\n***\nThird.",
        True,
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 3},
        "***\nFirst.\n***\nSecond.\n***\nThird.\n***",  # empty ends do not count
        True,
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 3},
        "First.\n***\n***\nThird.",  # an empty paragraph in the middle
        False,
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 3},
        "First.\n***\nSecond.",
        False,
    ),
    (
        "length_constraints:number_words",
        {"num_words": 5, "relation": "less than"},
        "Only four words here.",
        True,
    ),
    (
        "length_constraints:number_words",
        {"num_words": 5, "relation": "less than"},
        "It's five words now",  # It, s, five, words, now
        False,
    ),
    (
        "length_constraints:number_words",
        {"num_words": 3, "relation": "at least"},
        "don't stop",
        True,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "however"},
        'Intro text.\n\n"However, the end."',  # leading quote and the comma are cut
        True,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "However"},
        "Intro.\n\nBut however it ends.",
        False,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "however"},
        "Intro.\n\nHowever it goes.\n\nA third one.",  # three paragraphs
        False,
    ),
    # detectable content
    (
        "detectable_content:number_placeholders",
        {"num_placeholders": 2},
        "Dear [name], see you at [address].",
        True,
    ),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name].", False),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.S."},
        "See you.\np. s. bring cake",
        True,
    ),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "See you. PS cake", False),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.P.S"},
        "Body.\nP.P.S. one more thing",
        True,
    ),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.P.S"},
        "Body.\nP.S. one more thing",
        False,
    ),
    # detectable format
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n- two", True),
    (
        "detectable_format:number_bullet_lists",
        {"num_bullets": 2},
        "* one\n**not a bullet**\n- two\n  - three",
        False,
    ),
    ("detectable_format:constrained_response", {}, "Well. My answer is maybe.", True),
    ("detectable_format:constrained_response", {}, "My answer is Yes.", False),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 2},
        "*one* and *two*",
        True,
    ),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 1},
        "a **bold** word",
        True,
    ),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 2},
        "a **bold** word",  # counts once
        False,
    ),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 1},
        "* * and *\nbroken*",  # blank, and across a line break
        False,
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "Section", "num_sections": 2},
        "Section 1\nApples.\nSection 2\nPears.",
        True,
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "Section", "num_sections": 2},
        "Section 1\nApples.\nSection two\nPears.",
        False,
    ),
    ("detectable_format:json_format", {}, '```json\n{"a": 1}\n```', True),
    ("detectable_format:json_format", {}, " [1, 2] ", True),
    ("detectable_format:json_format", {}, 'Here: {"a": 1}', False),
    ("detectable_format:title", {}, "<<Ode to Joy>>\nA poem.", True),
    ("detectable_format:title", {}, "<<  >> and <Ode>", False),
    # combination
    ("combination:two_responses", {}, "Yes.\n******\nNo.", True),
    ("combination:two_responses", {}, "Yes.\n******\nYes.", False),  # not different
    ("combination:two_responses", {}, "Yes.\n******\n******\nNo.", False),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku about rain."},
        "write a haiku about rain. Drops on the tin roof...",
        True,
    ),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku about rain."},
        "Sure! Write a haiku about rain. Drops...",
        False,
    ),
    # start and end
    (
        "startend:end_checker",
        {"end_phrase": "Any other questions?"},
        'Done. any other questions?"',
        True,
    ),
    (
        "startend:end_checker",
        {"end_phrase": "Any other questions?"},
        "Any other questions? Thanks.",
        False,
    ),
    ("startend:quotation", {}, '  "Quoted."  ', True),
    ("startend:quotation", {}, '"Half quoted.', False),
    ("startend:quotation", {}, '"', False),
    # case
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "at least"},
        "I DON'T like it",  # I, DO, N'T
        True,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "at least"},
        "NASA is big.",
        False,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 2, "capital_relation": "less than"},
        "NASA rocks.",
        True,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 2, "capital_relation": "less than"},
        "The USA and the UK.",
        False,
    ),
    ("change_case:english_capital", {}, ENGLISH.upper(), True),
    ("change_case:english_capital", {}, ENGLISH, False),
    ("change_case:english_capital", {}, FRENCH.upper(), False),  # capitals, not English
    ("change_case:english_lowercase", {}, ENGLISH.lower(), True),
    ("change_case:english_lowercase", {}, ENGLISH, False),
    ("change_case:english_lowercase", {}, FRENCH.lower(), False),
    # punctuation
    ("punctuation:no_comma", {}, "No commas here，only a full-width one.", True),
    ("punctuation:no_comma", {}, "Apples, pears.", False),
]


def test_the_registry_is_the_official_set():
    assert set(INSTRUCTION_IDS) == OFFICIAL_IDS
    assert len(INSTRUCTION_IDS) == 25


def test_every_instruction_has_a_passing_and_a_failing_case():
    outcomes = {(instruction_id, followed) for instruction_id, _, _, followed in CASES}
    assert outcomes == {(i, followed) for i in OFFICIAL_IDS for followed in (True, False)}


@pytest.mark.parametrize(
    ("instruction_id", "arguments", "response", "followed"),
    CASES,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(CASES)],
)
def test_strict(instruction_id, arguments, response, followed):
    result = evaluate("the prompt", response, [instruction_id], [hub(**arguments)])
    assert result.strict == [followed]
    assert bind(instruction_id, arguments)(response) is followed  # without the hub's Nones


# (instruction id, arguments, response): strict fails, one of the loose variants passes
LOOSE_CASES = [
    # the last line removed
    (
        "startend:end_checker",
        {"end_phrase": "Is there anything else I can help with?"},
        "Here it is. Is there anything else I can help with?\nCheers!",
    ),
    # the first line removed
    ("startend:quotation", {}, 'Sure, here it is:\n"The whole answer."'),
    ("detectable_format:json_format", {}, 'Here is the JSON:\n{"a": 1}'),
    ("punctuation:no_comma", {}, "Sure, here you go:\nNo commas below at all."),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* intro\n* one\n* two"),
    # both removed
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* hi\n* one\n* two\n* bye"),
    ("startend:quotation", {}, 'Sure:\n"Quoted."\nHope it helps'),
    # asterisks removed
    ("detectable_format:constrained_response", {}, "My answer is **yes**."),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Name a fruit."},
        "**Name a fruit.** Apple.",
    ),
    # first line and asterisks removed
    (
        "startend:end_checker",
        {"end_phrase": "Any other questions?"},
        "Ok,\n**Any other questions?**",
    ),
]


@pytest.mark.parametrize(("instruction_id", "arguments", "response"), LOOSE_CASES)
def test_loose_passes_where_strict_fails(instruction_id, arguments, response):
    result = evaluate("the prompt", response, [instruction_id], [hub(**arguments)])
    assert result.strict == [False]
    assert result.loose == [True]


def test_loose_still_fails_when_no_variant_follows():
    result = evaluate("p", "Yes, no,\nmaybe, so", ["punctuation:no_comma"], [{}])
    assert (result.strict, result.loose) == ([False], [False])


def test_loose_variants_in_the_official_order():
    assert loose_variants("*a*\nb\n*c*") == [
        "*a*\nb\n*c*",
        "a\nb\nc",
        "b\n*c*",
        "*a*\nb",
        "b",
        "b\nc",
        "a\nb",
        "b",
    ]


def test_an_empty_response_follows_nothing():
    ids = ["keywords:forbidden_words", "punctuation:no_comma"]
    result = evaluate("p", "   \n ", ids, [hub(forbidden_words=["x"]), hub()])
    assert (result.strict, result.loose) == ([False, False], [False, False])


def test_four_figures_by_hand():
    rows = [
        # strict [T, T], loose [T, T]
        (
            ["punctuation:no_comma", "detectable_format:title"],
            [hub(), hub()],
            "<<Title>>\nNo commas here.",
        ),
        # end phrase: strict F, loose T (last line removed); 12 words >= 5: T, T
        (
            ["startend:end_checker", "length_constraints:number_words"],
            [
                hub(end_phrase="Is there anything else I can help with?"),
                hub(num_words=5, relation="at least"),
            ],
            "Here you go. Is there anything else I can help with?\nCheers",
        ),
        # keyword T, T; lowercase English T, T; quotation F, F
        (
            ["keywords:existence", "change_case:english_lowercase", "startend:quotation"],
            [hub(keywords=["apple"]), hub(), hub()],
            "the apples sleep on the sofa while the rain falls softly over the city.",
        ),
        # json: strict F, loose T (first line removed)
        (["detectable_format:json_format"], [hub()], 'Sure:\n{"a": 1}'),
    ]
    results = [evaluate("p", response, ids, kwargs) for ids, kwargs, response in rows]
    assert [r.strict for r in results] == [
        [True, True],
        [False, True],
        [True, True, False],
        [False],
    ]
    assert [r.loose for r in results] == [[True, True], [True, True], [True, True, False], [True]]
    assert ifeval_figures(results) == {
        "prompt_level_strict_acc": 1 / 4,  # only the first prompt
        "inst_level_strict_acc": 5 / 8,
        "prompt_level_loose_acc": 3 / 4,  # all but the third
        "inst_level_loose_acc": 7 / 8,
    }
    strict = instruction_accuracy(results)
    assert strict["startend"] == 0.0 and strict["startend:end_checker"] == 0.0
    assert strict["detectable_format"] == 0.5  # title yes, json no
    loose = instruction_accuracy(results, loose=True)
    assert loose["startend"] == 0.5 and loose["startend:quotation"] == 0.0


def test_figures_need_results():
    with pytest.raises(ValueError):
        ifeval_figures([])
    assert IFEvalResult([True], [True]).prompt_strict


@pytest.mark.parametrize(
    ("instruction_id", "arguments", "message"),
    [
        ("keywords:nonexistent", {}, "unknown IFEval instruction"),
        ("length_constraints:number_words", {"num_words": 5}, "missing \\['relation'\\]"),
        (
            "length_constraints:number_words",
            {"num_words": 5, "relation": "at most"},
            "relation must be one of",
        ),
        ("punctuation:no_comma", {"num_words": 5}, "unexpected \\['num_words'\\]"),
        ("detectable_format:title", {"num_bullets": -1}, "unexpected"),
        ("detectable_format:number_bullet_lists", {"num_bullets": -1}, "a count"),
        ("keywords:existence", {"keywords": "moon"}, "a list of strings"),
        (
            "keywords:letter_frequency",
            hub(letter="ab", let_frequency=1, let_relation="at least"),
            "one character",
        ),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "so"},
            "nth_paragraph must be between 1 and",
        ),
    ],
)
def test_bad_arguments_are_refused_not_drawn_at_random(instruction_id, arguments, message):
    with pytest.raises(ValueError, match=message):
        evaluate("p", "response", [instruction_id], [arguments])


def test_one_argument_dict_per_instruction():
    with pytest.raises(ValueError, match="2 instructions but 1"):
        evaluate("p", "r", ["punctuation:no_comma", "startend:quotation"], [{}])


def test_counts_as_the_official_tools_count():
    assert count_words("Don't stop-me now, 2 times!") == 7  # Don, t, stop, me, now, 2, times
    assert word_tokens("I DON'T like JOHN-PAUL.") == ["I", "DO", "N'T", "like", "JOHN-PAUL", "."]


def test_language_detection_is_seeded():
    # A short ambiguous text: an unseeded langdetect can answer differently from call to call.
    assert len({detect_language("hola que tal") for _ in range(5)}) == 1
    assert detect_language(FRENCH) == "fr" and detect_language("42 !") is None
