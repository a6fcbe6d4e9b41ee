"""Spec section 5: the docs shown to the model, as FC tools or in the v3 prompt."""

import ast
import copy
import importlib.util
import json
from pathlib import Path

import pytest

from pytest_llmeval.benchmarks.bfcl_v3.tools import (
    DEFAULT_SYSTEM_PROMPT,
    apply_prompt_mode,
    language_preprocess,
    prompt_system_message,
    to_openai_tools,
)

PYTHON_HINT = " Note that the provided function is in Python 3 syntax."


def make_doc(name="f", properties=None, required=()):
    return {
        "name": name,
        "description": "Does f.",
        "parameters": {"type": "dict", "properties": properties or {}, "required": list(required)},
    }


def only_tool(docs, category="simple"):
    (tool,) = to_openai_tools(docs, category)
    return tool


def installed_prompt_source() -> str:
    """The installed bfcl_eval's v3 ``DEFAULT_SYSTEM_PROMPT``, read as text (never imported)."""
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or spec.origin is None:
        pytest.skip("bfcl_eval is not installed")
    source = (Path(spec.origin).parent / "constants" / "default_prompts.py").read_text()
    constants = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            constants[node.targets[0].id] = node.value
    without_docs = constants["DEFAULT_SYSTEM_PROMPT_WITHOUT_FUNC_DOC"].value
    return without_docs + constants["DEFAULT_SYSTEM_PROMPT"].right.value


# --- prompt mode ---


def test_system_prompt_text_is_identical_to_the_installed_v3_package():
    assert installed_prompt_source() == DEFAULT_SYSTEM_PROMPT


def test_system_prompt_text_begins_and_ends_like_v3():
    assert DEFAULT_SYSTEM_PROMPT.startswith("You are an expert in composing functions. You are")
    assert DEFAULT_SYSTEM_PROMPT.endswith(
        "Here is a list of functions in JSON format that you can invoke.\n{functions}\n\n"
    )


def test_prompt_lists_functions_as_python_repr_with_the_language_hint():
    doc = make_doc(properties={"flag": {"type": "boolean", "description": "x", "default": True}})
    message = prompt_system_message([doc], "simple")
    expected_docs = copy.deepcopy([doc])
    expected_docs[0]["description"] += PYTHON_HINT
    assert message == DEFAULT_SYSTEM_PROMPT.format(functions=repr(expected_docs))
    assert "'default': True" in message and '"default": true' not in message


def test_prompt_keeps_python_types():
    doc = make_doc(properties={"x": {"type": "float", "description": "d"}})
    assert "'type': 'float'" in prompt_system_message([doc], "live_simple")
    assert "'type': 'dict'" in prompt_system_message([doc], "live_simple")


def test_prompt_inserts_a_system_message_when_there_is_none():
    messages = [{"role": "user", "content": "hi"}]
    result = apply_prompt_mode(messages, [make_doc()], "simple")
    assert result == [
        {"role": "system", "content": prompt_system_message([make_doc()], "simple")},
        {"role": "user", "content": "hi"},
    ]
    assert messages == [{"role": "user", "content": "hi"}]


def test_prompt_merges_into_an_existing_first_system_message():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    result = apply_prompt_mode(messages, [make_doc()], "live_simple")
    prompt = prompt_system_message([make_doc()], "live_simple")
    assert result[0] == {"role": "system", "content": prompt + "\n\nBe brief."}
    assert result[1:] == messages[1:]
    assert messages[0]["content"] == "Be brief."


def test_prompt_only_merges_a_system_message_in_first_position():
    messages = [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}]
    result = apply_prompt_mode(messages, [make_doc()], "simple")
    assert [m["role"] for m in result] == ["system", "user", "system"]
    assert result[2]["content"] == "late"


# --- language preprocessing (both modes) ---


def test_python_categories_get_the_python_hint_only():
    doc = make_doc(properties={"n": {"type": "integer", "description": "N."}})
    (processed,) = language_preprocess([doc], "multiple")
    assert processed["description"] == "Does f." + PYTHON_HINT
    assert processed["parameters"]["properties"] == doc["parameters"]["properties"]


def test_preprocessing_never_mutates_its_input():
    doc = make_doc(
        properties={"xs": {"type": "Array", "description": "X.", "items": {"type": "long"}}}
    )
    before = copy.deepcopy(doc)
    language_preprocess([doc], "java")
    to_openai_tools([doc], "java")
    prompt_system_message([doc], "java")
    assert doc == before


def test_java_params_become_strings_described_by_their_java_type():
    doc = make_doc(
        properties={
            "obj": {"type": "any", "description": "O."},
            "n": {"type": "long", "description": "N."},
            "xs": {"type": "ArrayList", "description": "X.", "items": {"type": "String"}},
            "arr": {"type": "Array", "description": "A.", "items": {"type": "char"}},
            "map": {"type": "HashMap", "description": "M."},
        }
    )
    (processed,) = language_preprocess([doc], "java")
    assert (
        processed["description"]
        == "Does f. Note that the provided function is in Java 8 SDK syntax."
    )
    properties = processed["parameters"]["properties"]
    assert all(schema["type"] == "string" for schema in properties.values())
    assert properties["obj"]["description"] == (
        "O. This parameter can be of any type of Java object in string representation."
    )
    assert properties["n"]["description"] == (
        "N. This is Java long type parameter in string representation."
    )
    assert properties["xs"] == {
        "type": "string",
        "description": "X. This is Java ArrayList type parameter in string representation."
        " The list elements are of type String; they are not in string representation.",
    }
    assert "items" not in properties["arr"]
    assert properties["arr"]["description"].endswith(
        "The list elements are of type char; they are not in string representation."
    )


def test_javascript_params_become_strings_with_items_and_properties_described():
    entries = {"key": {"type": "String", "description": "K."}}
    doc = make_doc(
        properties={
            "any": {"type": "any", "description": "A."},
            "ok": {"type": "Boolean", "description": "B."},
            "xs": {"type": "array", "description": "X.", "items": {"type": "String"}},
            "cfg": {"type": "dict", "description": "C.", "properties": entries},
            "bare": {"type": "dict", "description": "D."},
        }
    )
    (processed,) = language_preprocess([doc], "javascript")
    assert processed["description"].endswith(
        " Note that the provided function is in JavaScript syntax."
    )
    properties = processed["parameters"]["properties"]
    assert all(schema["type"] == "string" for schema in properties.values())
    assert properties["any"]["description"] == (
        "A. This parameter can be of any type of JavaScript object in string representation."
    )
    assert properties["ok"]["description"] == (
        "B. This is JavaScript Boolean type parameter in string representation."
    )
    assert "items" not in properties["xs"]
    assert properties["cfg"] == {
        "type": "string",
        "description": "C. This is JavaScript dict type parameter in string representation."
        " The dictionary entries have the following schema; they are not in string"
        f" representation. {json.dumps(entries)}",
    }
    assert properties["bare"]["description"] == (
        "D. This is JavaScript dict type parameter in string representation."
    )


def test_language_hint_needs_the_exact_category_name():
    (processed,) = language_preprocess([make_doc()], "simple_java")
    assert processed["description"].endswith(PYTHON_HINT)


# --- FC tools ---


def test_tool_wrapper_and_object_parameters():
    doc = make_doc(properties={"n": {"type": "integer", "description": "N."}}, required=["n"])
    assert only_tool([doc]) == {
        "type": "function",
        "function": {
            "name": "f",
            "description": "Does f." + PYTHON_HINT,
            "parameters": {
                "type": "object",
                "properties": {"n": {"type": "integer", "description": "N."}},
                "required": ["n"],
            },
        },
    }


def test_dotted_function_names_use_underscores_but_param_names_do_not_change():
    doc = make_doc("math.geo.area", properties={"a.b": {"type": "integer", "description": ""}})
    function = only_tool([doc])["function"]
    assert function["name"] == "math_geo_area"
    assert list(function["parameters"]["properties"]) == ["a.b"]


@pytest.mark.parametrize(
    ("gorilla_type", "openapi_type"),
    [
        ("integer", "integer"),
        ("string", "string"),
        ("boolean", "boolean"),
        ("bool", "boolean"),
        ("number", "number"),
        ("double", "number"),
        ("any", "string"),
        ("Any", "string"),
        ("char", "string"),
        ("String", "string"),
        ("long", "integer"),
        ("byte", "integer"),
        ("short", "integer"),
        ("Bigint", "integer"),
        ("tuple", "array"),
        ("list", "array"),
        ("ArrayList", "array"),
        ("Array", "array"),
        ("Queue", "array"),
        ("Stack", "array"),
        ("dict", "object"),
        ("object", "object"),
        ("HashMap", "object"),
        ("Hashtable", "object"),
        ("Set", "string"),
        ("datetime", "string"),
    ],
)
def test_param_type_mapping(gorilla_type, openapi_type):
    doc = make_doc(properties={"p": {"type": gorilla_type, "description": "P."}})
    schema = only_tool([doc])["function"]["parameters"]["properties"]["p"]
    assert schema == {"type": openapi_type, "description": "P."}


def test_missing_type_becomes_string():
    doc = make_doc(properties={"p": {"description": "P."}})
    schema = only_tool([doc])["function"]["parameters"]["properties"]["p"]
    assert schema == {"description": "P.", "type": "string"}


def test_float_gets_number_format_and_description_hint():
    doc = make_doc(properties={"x": {"type": "float", "description": "X."}})
    schema = only_tool([doc])["function"]["parameters"]["properties"]["x"]
    assert schema == {
        "type": "number",
        "description": "X. This is a float type value.",
        "format": "float",
    }
    assert list(schema) == ["type", "description", "format"]


def test_item_types_are_mapped_including_arrays_of_arrays():
    doc = make_doc(
        properties={
            "xs": {"type": "array", "description": "", "items": {"type": "float"}},
            "grid": {
                "type": "array",
                "description": "",
                "items": {"type": "array", "items": {"type": "integer"}},
            },
        }
    )
    properties = only_tool([doc])["function"]["parameters"]["properties"]
    assert properties["xs"]["items"] == {"type": "number"}
    assert properties["grid"]["items"] == {"type": "array", "items": {"type": "integer"}}


def test_object_properties_and_item_properties_are_cast_recursively():
    inner = {
        "rate": {"type": "float", "description": "R."},
        "tag": {"type": "any", "description": ""},
    }
    doc = make_doc(
        properties={
            "cfg": {"type": "dict", "description": "", "properties": copy.deepcopy(inner)},
            "rows": {
                "type": "array",
                "description": "",
                "items": {"type": "dict", "properties": copy.deepcopy(inner)},
            },
        }
    )
    properties = only_tool([doc])["function"]["parameters"]["properties"]
    expected_inner = {
        "rate": {
            "type": "number",
            "description": "R. This is a float type value.",
            "format": "float",
        },
        "tag": {"type": "string", "description": ""},
    }
    assert properties["cfg"] == {"type": "object", "description": "", "properties": expected_inner}
    assert properties["rows"]["items"] == {"type": "object", "properties": expected_inner}


def test_enum_default_required_and_response_are_kept():
    doc = make_doc(
        properties={
            "unit": {"type": "string", "description": "", "enum": ["a", "b"], "default": "a"},
            "cfg": {"type": "dict", "description": "", "properties": {}, "required": ["x"]},
        }
    )
    doc["response"] = {"type": "dict", "properties": {"ok": {"type": "boolean"}}}
    function = only_tool([doc])["function"]
    assert function["parameters"]["properties"]["unit"]["enum"] == ["a", "b"]
    assert function["parameters"]["properties"]["unit"]["default"] == "a"
    assert function["parameters"]["properties"]["cfg"]["required"] == ["x"]
    assert function["response"] == {"type": "dict", "properties": {"ok": {"type": "boolean"}}}


def test_java_fc_tools_take_every_param_as_a_string():
    doc = make_doc(
        "Pkg.run",
        properties={
            "n": {"type": "double", "description": "N."},
            "xs": {"type": "Array", "description": "X.", "items": {"type": "integer"}},
        },
    )
    function = only_tool([doc], "java")["function"]
    assert function["name"] == "Pkg_run"
    assert function["parameters"]["properties"] == {
        "n": {
            "type": "string",
            "description": "N. This is Java double type parameter in string representation.",
        },
        "xs": {
            "type": "string",
            "description": "X. This is Java Array type parameter in string representation."
            " The list elements are of type integer; they are not in string representation.",
        },
    }


def test_javascript_float_param_gets_no_float_hint_once_it_is_a_string():
    doc = make_doc(properties={"x": {"type": "float", "description": "X."}})
    schema = only_tool([doc], "javascript")["function"]["parameters"]["properties"]["x"]
    assert schema == {
        "type": "string",
        "description": "X. This is JavaScript float type parameter in string representation.",
    }


def test_unknown_item_type_is_a_data_error():
    doc = make_doc(
        properties={"xs": {"type": "array", "description": "", "items": {"type": "Int"}}}
    )
    with pytest.raises(ValueError, match="Int"):
        to_openai_tools([doc], "simple")
