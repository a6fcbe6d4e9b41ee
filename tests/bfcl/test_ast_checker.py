"""Spec 3.2-3.9, rule by rule: each rule has a passing and a failing case with its error type."""

import pytest

from pytest_llmeval.benchmarks.bfcl_v3.ast_checker import (
    CheckResult,
    check_ast,
    check_relevance,
    language_for_subset,
)


def make_doc(name, properties, required=()):
    """A BFCL function doc; ``properties`` maps a param to its type or to a full schema."""
    schemas = {
        param: spec if isinstance(spec, dict) else {"type": spec, "description": ""}
        for param, spec in properties.items()
    }
    return {
        "name": name,
        "description": "",
        "parameters": {"type": "dict", "properties": schemas, "required": list(required)},
    }


def check_one(properties, arguments, allowed, required=(), category="simple", name="f"):
    """One call to ``name`` with ``arguments`` against the GT ``allowed``; the error type."""
    doc = make_doc(name, properties, required)
    result = check_ast(
        category, [doc], [{name: arguments}], [{name: allowed}], underscore_to_dot=False
    )
    return result.error_type if not result.valid else "ok"


def array_of(item_type):
    return {"type": "array", "items": {"type": item_type}, "description": ""}


# --- decode outcome and format (eval_runner.ast_file_runner) ---


def test_decode_failure_is_decoder_failed():
    result = check_ast("simple", [make_doc("f", {})], None, [{"f": {}}], underscore_to_dot=False)
    assert result == CheckResult(False, "ast_decoder:decoder_failed", result.error)


@pytest.mark.parametrize("decoded", ["text", [{"f": 1}], [{}], [{"f": {}, "g": {}}]])
def test_wrong_shape_is_decoder_wrong_output_format(decoded):
    result = check_ast("simple", [make_doc("f", {})], decoded, [{"f": {}}], underscore_to_dot=False)
    assert result.error_type == "ast_decoder:decoder_wrong_output_format"


def test_result_carries_a_one_line_reason():
    result = check_ast(
        "simple",
        [make_doc("f", {"a": "integer"})],
        [{"f": {"a": 2}}],
        [{"f": {"a": [1]}}],
        underscore_to_dot=False,
    )
    assert not result.valid and "\n" not in result.error and "2" in result.error


# --- 3.2 dispatch ---


def test_simple_needs_exactly_one_call():
    docs = [make_doc("f", {})]
    gt = [{"f": {}}]
    assert check_ast("simple", docs, [{"f": {}}], gt, underscore_to_dot=False).valid
    for decoded in ([], [{"f": {}}, {"f": {}}]):
        result = check_ast("simple", docs, decoded, gt, underscore_to_dot=False)
        assert result.error_type == "simple_function_checker:wrong_count"


def test_simple_checks_against_the_first_doc_whatever_the_gt_key():
    docs = [make_doc("pkg.find", {"a": "integer"})]
    result = check_ast(
        "simple", docs, [{"pkg.find": {"a": 1}}], [{"find": {"a": [1]}}], underscore_to_dot=False
    )
    assert result.valid
    result = check_ast(
        "simple", docs, [{"find": {"a": 1}}], [{"find": {"a": [1]}}], underscore_to_dot=False
    )
    assert result.error_type == "simple_function_checker:wrong_func_name"


@pytest.mark.parametrize(
    ("category", "error_type"),
    [
        ("multiple", "multiple_function_checker:wrong_count"),
        ("live_multiple", "multiple_function_checker:wrong_count"),
        ("parallel", "parallel_function_checker_no_order:wrong_count"),
        ("parallel_multiple", "parallel_function_checker_no_order:wrong_count"),
        ("live_parallel_multiple", "parallel_function_checker_no_order:wrong_count"),
        ("live_simple", "simple_function_checker:wrong_count"),
    ],
)
def test_dispatch_by_category_substring(category, error_type):
    docs = [make_doc("f", {}), make_doc("g", {})]
    result = check_ast(category, docs, [], [{"f": {}}], underscore_to_dot=False)
    assert result.error_type == error_type


# --- 3.3 one call: name, required, unexpected, optional ---


def test_function_name_is_exact_and_case_sensitive():
    assert check_one({}, {}, {}) == "ok"
    doc = make_doc("f", {})
    result = check_ast("simple", [doc], [{"F": {}}], [{"f": {}}], underscore_to_dot=False)
    assert result.error_type == "simple_function_checker:wrong_func_name"


@pytest.mark.parametrize(
    ("underscore_to_dot", "sent_name", "error_type"),
    [
        (True, "math_sqrt", ""),
        (True, "math.sqrt", "simple_function_checker:wrong_func_name"),
        (False, "math.sqrt", ""),
        (False, "math_sqrt", "simple_function_checker:wrong_func_name"),
    ],
)
def test_underscore_to_dot_both_ways(underscore_to_dot, sent_name, error_type):
    docs = [make_doc("math.sqrt", {"x": "integer"})]
    result = check_ast(
        "simple",
        docs,
        [{sent_name: {"x": 4}}],
        [{"math.sqrt": {"x": [4]}}],
        underscore_to_dot=underscore_to_dot,
    )
    assert result.error_type == error_type


def test_missing_required():
    properties = {"a": "integer", "b": "integer"}
    allowed = {"a": [1], "b": [2]}
    assert check_one(properties, {"a": 1, "b": 2}, allowed, required=["a", "b"]) == "ok"
    assert (
        check_one(properties, {"a": 1}, allowed, required=["a", "b"])
        == "simple_function_checker:missing_required"
    )


def test_required_param_whose_gt_is_only_empty_still_must_be_sent():
    properties = {"a": "integer"}
    assert (
        check_one(properties, {}, {"a": [""]}, required=["a"])
        == "simple_function_checker:missing_required"
    )


def test_unexpected_param_not_in_doc():
    assert check_one({"a": "integer"}, {"a": 1, "z": 1}, {"a": [1]}) == (
        "simple_function_checker:unexpected_param"
    )


def test_unexpected_param_valid_optional_missing_from_gt():
    properties = {"a": "integer", "unit": "string"}
    assert check_one(properties, {"a": 1}, {"a": [1]}) == "ok"
    assert check_one(properties, {"a": 1, "unit": "cm"}, {"a": [1]}) == (
        "simple_function_checker:unexpected_param"
    )


def test_unexpected_param_in_gt_but_not_in_doc():
    assert check_one({"a": "integer"}, {"a": 1, "b": 2}, {"a": [1], "b": [2]}) == (
        "simple_function_checker:unexpected_param"
    )


def test_missing_optional():
    properties = {"a": "integer", "unit": "string"}
    assert check_one(properties, {"a": 1}, {"a": [1], "unit": ["cm", ""]}) == "ok"
    assert check_one(properties, {"a": 1}, {"a": [1], "unit": ["cm"]}) == (
        "simple_function_checker:missing_optional"
    )


def test_checks_run_in_order_name_required_params_optional():
    properties = {"a": "integer", "b": "integer"}
    allowed = {"a": [1], "b": [2]}
    # missing required wins over a bad value; a bad value wins over a missing optional
    assert check_one(properties, {"a": "x"}, allowed, required=["b"]) == (
        "simple_function_checker:missing_required"
    )
    assert check_one(properties, {"a": "x"}, allowed) == "type_error:simple"


# --- 3.4 types (Python) ---


@pytest.mark.parametrize(
    ("type_name", "value", "allowed", "expected"),
    [
        ("integer", 5, [5], "ok"),
        ("integer", True, [1], "type_error:simple"),
        ("boolean", True, [True], "ok"),
        ("boolean", 1, [True], "type_error:simple"),
        ("integer", 5.0, [5], "type_error:simple"),
        ("float", 5, [5.0], "ok"),
        ("float", 5.5, [5.5], "ok"),
        ("string", "5", ["5"], "ok"),
        ("string", 5, ["5"], "type_error:simple"),
        ("any", "5", ["5"], "ok"),
        ("any", 5, ["5"], "type_error:simple"),
        ("any", 5, [5], "ok"),
        ("dict", {"k": 1}, [{"k": [1]}], "ok"),
        ("dict", [1], [{"k": [1]}], "type_error:simple"),
    ],
)
def test_exact_python_types(type_name, value, allowed, expected):
    assert check_one({"p": type_name}, {"p": value}, {"p": allowed}) == expected


def test_int_to_float_leniency_is_top_level_only():
    schema = {"p": array_of("float")}
    assert check_one(schema, {"p": [1.0, 2.0]}, {"p": [[1.0, 2.0]]}) == "ok"
    assert check_one(schema, {"p": [1, 2]}, {"p": [[1.0, 2.0]]}) == "type_error:nested"
    assert check_one(schema, {"p": [1, 2]}, {"p": [[1.0, 2.0], ""]}) == "ok"


def test_tuple_param_accepts_a_tuple_as_a_list():
    schema = {"p": {"type": "tuple", "items": {"type": "integer"}, "description": ""}}
    assert check_one(schema, {"p": (1, 2)}, {"p": [[1, 2]]}) == "ok"
    assert check_one(schema, {"p": (1, 3)}, {"p": [[1, 2]]}) == "value_error:list/tuple"


def test_tuple_value_for_an_array_param_is_a_type_error():
    assert check_one({"p": array_of("integer")}, {"p": (1, 2)}, {"p": [[1, 2]]}) == (
        "type_error:simple"
    )


def test_variable_escape_accepts_the_gt_type_and_then_needs_membership():
    # the GT holds an int for a string param: the param is a "variable"
    assert check_one({"p": "string"}, {"p": 5}, {"p": [5]}) == "ok"
    assert check_one({"p": "string"}, {"p": 6}, {"p": [5]}) == "value_error:others"
    # a str value has the declared type, but variables skip the string rule: exact membership
    assert check_one({"p": "string"}, {"p": "5"}, {"p": [5]}) == "value_error:others"


def test_variable_string_skips_standardization():
    assert check_one({"p": "integer"}, {"p": "n"}, {"p": ["n"]}) == "ok"
    assert check_one({"p": "integer"}, {"p": "N"}, {"p": ["n"]}) == "value_error:others"


def test_nested_item_type_check():
    schema = {"p": array_of("integer")}
    assert check_one(schema, {"p": [1, 2]}, {"p": [[1, 2]]}) == "ok"
    assert check_one(schema, {"p": [1, "2"]}, {"p": [[1, 2]]}) == "type_error:nested"
    assert check_one(schema, {"p": [True]}, {"p": [[1]]}) == "type_error:nested"


def test_nested_variable_escape_uses_the_gt_alternatives_first_item():
    schema = {"p": array_of("integer")}
    assert check_one(schema, {"p": ["a", "b"]}, {"p": [["a", "b"]]}) == "ok"


def test_nested_check_passes_when_any_alternative_passes():
    schema = {"p": array_of("integer")}
    assert check_one(schema, {"p": ["a"]}, {"p": [[1], ["a"]]}) == "ok"


def test_nested_failure_is_a_simple_type_error_when_the_gt_type_is_not_a_list():
    assert check_one({"p": array_of("integer")}, {"p": ["x"]}, {"p": []}) == "type_error:simple"


# --- 3.5 values ---


@pytest.mark.parametrize(
    ("value", "allowed", "expected"),
    [
        ("New York, NY", ["new york ny"], "ok"),
        ("2024/01-05", ["20240105"], "ok"),
        ("a*b^c_d.e", ["ABCDE"], "ok"),
        ("it's", ['it"s'], "ok"),
        ("Hello!", ["Hello"], "value_error:string"),
        ("10:00", ["1000"], "value_error:string"),
        ("(a)", ["a"], "value_error:string"),
        ("New York", ["New York City"], "value_error:string"),
        ("New York City", ["New York"], "value_error:string"),
    ],
)
def test_string_standardizes_only_eight_characters_and_matches_exactly(value, allowed, expected):
    assert check_one({"p": "string"}, {"p": value}, {"p": allowed}) == expected


def test_list_is_order_sensitive():
    schema = {"p": array_of("string")}
    assert check_one(schema, {"p": ["a", "b"]}, {"p": [["a", "b"]]}) == "ok"
    assert check_one(schema, {"p": ["b", "a"]}, {"p": [["a", "b"]]}) == "value_error:list/tuple"


def test_list_standardizes_top_level_strings_and_compares_numbers_with_equality():
    assert check_one({"p": array_of("string")}, {"p": ["New-York"]}, {"p": [["new york"]]}) == "ok"
    assert check_one({"p": array_of("integer")}, {"p": [1, 2]}, {"p": [[1.0, 2.0]]}) == "ok"


def test_list_does_not_standardize_nested_lists():
    schema = {"p": array_of("array")}
    assert check_one(schema, {"p": [["a"]]}, {"p": [[["a"]]]}) == "ok"
    assert check_one(schema, {"p": [["A"]]}, {"p": [[["a"]]]}) == "value_error:list/tuple"


def test_list_empty_value_matches_an_optional_gt():
    schema = {"p": array_of("string")}
    assert check_one(schema, {"p": []}, {"p": ["", ["a"]]}) == "ok"
    assert check_one(schema, {"p": []}, {"p": [["a"]]}) == "value_error:list/tuple"


DICT_GT = {"p": [{"city": ["Paris", "paris fr"], "days": [3], "note": ["", "x"]}]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"city": "PARIS", "days": 3}, "ok"),
        ({"city": "Paris FR", "days": 3, "note": "x"}, "ok"),
        ({"city": "Paris", "days": True}, "value_error:dict_value"),
        ({"city": "Paris", "days": 3.0}, "ok"),
        ({"city": "Paris", "days": 4}, "value_error:dict_value"),
        ({"city": "Rome", "days": 3}, "value_error:dict_value"),
        ({"city": "Paris", "days": 3, "extra": 1}, "value_error:dict_key"),
        ({"city": "Paris"}, "value_error:dict_key"),
        ({"city": "Rome"}, "value_error:dict_key"),  # a missing key outranks a wrong value
    ],
)
def test_dict_keys_and_values(value, expected):
    assert check_one({"p": "dict"}, {"p": value}, DICT_GT) == expected


def test_dict_values_are_not_type_checked():
    assert check_one({"p": "dict"}, {"p": {"n": True}}, {"p": [{"n": [1]}]}) == "ok"


def test_dict_any_alternative_may_match():
    allowed = {"p": [{"a": [1]}, {"b": [2]}]}
    assert check_one({"p": "dict"}, {"p": {"b": 2}}, allowed) == "ok"
    assert check_one({"p": "dict"}, {"p": {"b": 3}}, allowed) == "value_error:dict_value"


def test_dict_with_only_optional_gt_is_unclear():
    assert check_one({"p": "dict"}, {"p": {"a": 1}}, {"p": [""]}) == "dict_checker:unclear"
    assert check_one({"p": "dict"}, {}, {"p": [""]}) == "ok"


def test_dict_nested_values_compare_raw():
    allowed = {"p": [{"pos": [{"x": 1, "y": "A"}]}]}
    assert check_one({"p": "dict"}, {"p": {"pos": {"x": 1, "y": "A"}}}, allowed) == "ok"
    assert check_one({"p": "dict"}, {"p": {"pos": {"x": 1, "y": "a"}}}, allowed) == (
        "value_error:dict_value"
    )


def test_list_of_dicts_is_checked_index_by_index():
    schema = {"p": array_of("dict")}
    allowed = {"p": [[{"n": ["a"]}, {"n": ["b"]}]]}
    assert check_one(schema, {"p": [{"n": "A"}, {"n": "b"}]}, allowed) == "ok"
    assert check_one(schema, {"p": [{"n": "b"}, {"n": "a"}]}, allowed) == "value_error:dict_value"
    assert check_one(schema, {"p": [{"n": "a"}]}, allowed) == "value_error:list_dict_count"
    assert check_one(schema, {"p": [{"n": "a"}, {"m": "b"}]}, allowed) == "value_error:dict_key"


@pytest.mark.parametrize(
    ("type_name", "value", "allowed", "expected"),
    [
        ("integer", 3, [1, 2, 3], "ok"),
        ("integer", 4, [1, 2, 3], "value_error:others"),
        ("float", 2, [2.0], "ok"),
        ("float", 2.5, [2.0], "value_error:others"),
        ("boolean", False, [True], "value_error:others"),
    ],
)
def test_other_values_use_membership(type_name, value, allowed, expected):
    assert check_one({"p": type_name}, {"p": value}, {"p": allowed}) == expected


# --- 3.6 multiple ---


def test_multiple_uses_the_doc_named_by_the_gt():
    docs = [make_doc("f", {"a": "string"}), make_doc("g", {"a": "integer"})]
    gt = [{"g": {"a": [1]}}]
    assert check_ast("multiple", docs, [{"g": {"a": 1}}], gt, underscore_to_dot=False).valid
    result = check_ast("multiple", docs, [{"f": {"a": "1"}}], gt, underscore_to_dot=False)
    assert result.error_type == "simple_function_checker:wrong_func_name"
    result = check_ast("multiple", docs, [{"g": {"a": "1"}}], gt, underscore_to_dot=False)
    assert result.error_type == "type_error:simple"


# --- 3.7 parallel ---

STOCK_DOC = make_doc("price", {"company": "string", "month": "integer"}, ["company", "month"])


def stock_call(company, month):
    return {"price": {"company": company, "month": month}}


def test_parallel_matches_in_any_order():
    gt = [
        {"price": {"company": ["Apple"], "month": [1]}},
        {"price": {"company": ["Microsoft"], "month": [2]}},
    ]
    for decoded in (
        [stock_call("Apple", 1), stock_call("Microsoft", 2)],
        [stock_call("Microsoft", 2), stock_call("Apple", 1)],
    ):
        assert check_ast("parallel", [STOCK_DOC], decoded, gt, underscore_to_dot=False).valid
    decoded = [stock_call("Apple", 1), stock_call("Microsoft", 3)]
    result = check_ast("parallel", [STOCK_DOC], decoded, gt, underscore_to_dot=False)
    assert result.error_type == "parallel_function_checker_no_order:cannot_find_match"


def test_parallel_matching_is_greedy_like_parallel_178():
    # GT call 0 accepts either company; the greedy scan gives it the first that fits.
    gt = [
        {"price": {"company": ["Microsoft", "Apple"], "month": [1]}},
        {"price": {"company": ["Apple"], "month": [1]}},
    ]
    works = [stock_call("Microsoft", 1), stock_call("Apple", 1)]
    starves = [stock_call("Apple", 1), stock_call("Microsoft", 1)]
    assert check_ast("parallel", [STOCK_DOC], works, gt, underscore_to_dot=False).valid
    result = check_ast("parallel", [STOCK_DOC], starves, gt, underscore_to_dot=False)
    assert result.error_type == "parallel_function_checker_no_order:cannot_find_match"


def test_parallel_multiple_looks_docs_up_by_gt_name():
    docs = [make_doc("f", {"a": "integer"}), make_doc("g", {"b": "string"})]
    gt = [{"f": {"a": [1]}}, {"g": {"b": ["x"]}}]
    decoded = [{"g": {"b": "X"}}, {"f": {"a": 1}}]
    assert check_ast("parallel_multiple", docs, decoded, gt, underscore_to_dot=False).valid
    decoded = [{"g": {"b": "X"}}, {"g": {"b": "x"}}]
    result = check_ast("parallel_multiple", docs, decoded, gt, underscore_to_dot=False)
    assert result.error_type == "parallel_function_checker_no_order:cannot_find_match"


# --- 3.8 Java and JavaScript ---


@pytest.mark.parametrize(
    ("category", "language"),
    [
        ("java", "Java"),
        ("javascript", "JavaScript"),
        ("simple_java", "Java"),
        ("simple_javascript", "JavaScript"),
        ("simple", "Python"),
        ("live_multiple", "Python"),
    ],
)
def test_language_by_category_substring(category, language):
    assert language_for_subset(category) == language


@pytest.mark.parametrize(
    ("category", "error_type"), [("java", "type_error:java"), ("javascript", "type_error:js")]
)
def test_java_and_js_values_must_be_source_text(category, error_type):
    assert check_one({"p": "integer"}, {"p": "5"}, {"p": [5]}, category=category) == "ok"
    assert check_one({"p": "integer"}, {"p": 5}, {"p": [5]}, category=category) == error_type


JAVA_CASES = [
    ("integer", "42", [42], "ok"),
    ("integer", "-7", [-7], "ok"),
    ("integer", "4.0", [4], "type_error:simple"),
    ("long", "42L", [42], "ok"),
    ("long", "42", [42], "type_error:simple"),
    ("float", "1.5f", [1.5], "ok"),
    ("float", "1.5", [1.5], "type_error:simple"),
    ("double", "1.5", [1.5], "ok"),
    ("double", "1e3", [1000.0], "ok"),
    ("double", "1.5d", [1.5], "type_error:simple"),
    ("boolean", "true", [True], "ok"),
    ("boolean", "True", [True], "type_error:simple"),
    ("char", "'a'", ["a"], "value_error:string"),
    ("char", "a", ["a"], "ok"),
    ("String", '"quoted"', ["quoted"], "value_error:string"),
    ("String", "plain text", ["plain text"], "ok"),
    ("any", "obj", ["obj"], "ok"),
    ("integer", "count", ["count"], "ok"),
]


@pytest.mark.parametrize(("type_name", "value", "allowed", "expected"), JAVA_CASES)
def test_java_scalar_conversion(type_name, value, allowed, expected):
    assert check_one({"p": type_name}, {"p": value}, {"p": allowed}, category="java") == expected


def java_param(type_name, item_type=None):
    schema = {"type": type_name, "description": ""}
    if item_type:
        schema["items"] = {"type": item_type}
    return {"p": schema}


@pytest.mark.parametrize(
    ("type_name", "item_type", "value", "allowed", "expected"),
    [
        ("Array", "integer", "new int[]{1, 2}", [[1, 2]], "ok"),
        ("Array", "integer", "new int[] { 1, 2 }", [[1, 2]], "ok"),
        ("Array", "integer", "{1, 2}", [[1, 2]], "type_error:simple"),
        ("Array", "long", "new long[]{1L, 2}", [[1, 2]], "type_error:nested"),
        # official quirk: String items of an Array keep their quotes
        ("Array", "String", 'new String[]{"a", "b"}', [["a", "b"]], "value_error:list/tuple"),
        ("ArrayList", "String", 'new ArrayList<>(Arrays.asList("a", "b"))', [["a", "b"]], "ok"),
        ("ArrayList", "integer", "new ArrayList<Integer>() {{ add(1); add(2); }}", [[1, 2]], "ok"),
        ("ArrayList", "String", "new ArrayList<>()", [[]], "ok"),
        (
            "ArrayList",
            "any",
            'new ArrayList<>(Arrays.asList("a"))',
            [["a"]],
            "value_error:list/tuple",
        ),
        (
            "HashMap",
            None,
            'new HashMap<String, Object>() {{ put("k", 5); put("s", "v"); }}',
            [{"k": [5], "s": ["v"]}],
            "ok",
        ),
        ("HashMap", None, "new HashMap<>()", [{}], "ok"),
        (
            "HashMap",
            None,
            'new HashMap<String, Object>() {{ put("k", 6); }}',
            [{"k": [5]}],
            "value_error:dict_value",
        ),
    ],
)
def test_java_collection_conversion(type_name, item_type, value, allowed, expected):
    schema = java_param(type_name, item_type)
    assert check_one(schema, {"p": value}, {"p": allowed}, category="java") == expected


JS_CASES = [
    ("String", "'abc'", ["abc"], "ok"),
    ("String", '"abc"', ["abc"], "ok"),
    ("String", "abc", ["abc"], "ok"),
    ("String", "'abc\"", ["abc"], "value_error:string"),
    ("integer", "5", [5], "ok"),
    ("integer", "5.0", [5], "type_error:simple"),
    ("float", "2", [2.0], "ok"),
    ("float", "2.5", [2.5], "ok"),
    ("float", "2e3", [2000.0], "type_error:simple"),
    ("Bigint", "12n", [12], "ok"),
    ("Bigint", "12", [12], "type_error:simple"),
    ("Boolean", "false", [False], "ok"),
    ("Boolean", "0", [False], "type_error:simple"),
    ("any", "userInput", ["userInput"], "ok"),
    ("dict", "{a: 1, 'b': 'x'}", [{"a": [1], "b": ["x"]}], "ok"),
    ("dict", "{a: [1, 2]}", [{"a": [[1, 2]]}], "ok"),
    ("dict", "{}", [{}], "ok"),
    ("dict", "{a: 2}", [{"a": [1]}], "value_error:dict_value"),
    ("dict", "a: 1", [{"a": [1]}], "type_error:simple"),
]


@pytest.mark.parametrize(("type_name", "value", "allowed", "expected"), JS_CASES)
def test_js_scalar_and_dict_conversion(type_name, value, allowed, expected):
    schema = {"p": {"type": type_name, "description": ""}}
    result = check_one(schema, {"p": value}, {"p": allowed}, category="javascript")
    assert result == expected


@pytest.mark.parametrize(
    ("item_type", "value", "allowed", "expected"),
    [
        ("String", "['a', \"b\"]", [["a", "b"]], "ok"),
        ("integer", "[1, 2]", [[1, 2]], "ok"),
        ("integer", "new Array(1, 2)", [[1, 2]], "ok"),
        ("integer", "[]", [[]], "ok"),
        ("float", "[1, 2]", [[1.0, 2.0]], "ok"),
        ("integer", "[1, 'x']", [[1, 2]], "type_error:nested"),
        ("integer", "[2, 1]", [[1, 2]], "value_error:list/tuple"),
        ("array", "[[1, 2], [3]]", [[[1, 2], [3]]], "ok"),
        ("integer", "1, 2", [[1, 2]], "type_error:simple"),
    ],
)
def test_js_array_conversion(item_type, value, allowed, expected):
    schema = {"p": {"type": "array", "items": {"type": item_type}, "description": ""}}
    result = check_one(schema, {"p": value}, {"p": allowed}, category="javascript")
    assert result == expected


def test_unknown_declared_type_is_a_data_error():
    with pytest.raises(ValueError, match="unknown"):
        check_one({"p": "Integer"}, {"p": "1"}, {"p": [1]}, category="java")


# --- 3.9 relevance ---


@pytest.mark.parametrize("category", ["irrelevance", "live_irrelevance"])
@pytest.mark.parametrize("decoded", [None, [], [{}], "I can't do that", [{"f": 1}]])
def test_irrelevance_passes_without_a_call(category, decoded):
    assert check_relevance(category, decoded).valid


@pytest.mark.parametrize("category", ["irrelevance", "live_irrelevance"])
def test_irrelevance_fails_with_any_call(category):
    result = check_relevance(category, [{"f": {}}])
    assert result.error_type == "irrelevance_error:decoder_success"


def test_relevance_passes_with_any_call_right_or_wrong():
    assert check_relevance("live_relevance", [{"anything": {"x": 1}}]).valid


@pytest.mark.parametrize("decoded", [None, [], [{}], "text"])
def test_relevance_fails_without_a_call(decoded):
    result = check_relevance("live_relevance", decoded)
    assert result.error_type == "relevance_error:decoder_failed"
