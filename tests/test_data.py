"""Local data files: every table format, folders of subset files, field picking, hashing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pytest_llmeval.data import DataError, content_hash, pick, read_local, read_table

ROWS = [{"question": "What is 1+1?", "answer": "2"}, {"question": "Zero?", "answer": "070"}]


def test_jsonl(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n\n")
    assert read_table(path) == ROWS


def test_json_list_and_json_lines(tmp_path):
    listed, lines = tmp_path / "a.json", tmp_path / "b.JSON"
    listed.write_text("  " + json.dumps(ROWS, indent=2))
    lines.write_text("\n".join(json.dumps(row) for row in ROWS))
    assert read_table(listed) == read_table(lines) == ROWS


def test_csv_keeps_text_as_text(tmp_path):
    path = tmp_path / "rows.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    assert read_table(path) == ROWS  # "070" stays "070"


def test_parquet(tmp_path):
    path = tmp_path / "rows.parquet"
    pd.DataFrame(ROWS).to_parquet(path)
    assert read_table(path) == ROWS


def test_malformed_json_lines_name_the_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{broken\n")
    with pytest.raises(DataError) as raised:
        read_table(path)
    assert str(raised.value) == (
        f"cannot read {path}:2: Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rows.txt", "hello", ": expected one of .jsonl, .json, .parquet, .csv"),
        ("rows.json", "[{", "Expecting property name enclosed in double quotes"),
        ("rows.parquet", "not parquet", ""),
        ("rows.jsonl", b"\xff\xfe\x00bad", ""),
    ],
)
def test_unreadable_files_are_one_line_data_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(DataError) as raised:
        read_table(path)
    text = str(raised.value)
    assert text.startswith(f"cannot read {path}")
    assert message in text
    assert "\n" not in text


def test_read_local_folder_matches_subset_names_case_insensitively(tmp_path):
    (tmp_path / "part-a.JSONL").write_text(json.dumps(ROWS[0]) + "\n")
    pd.DataFrame(ROWS).to_csv(tmp_path / "Part-B.csv", index=False)
    (tmp_path / "unrelated.jsonl").write_text(json.dumps(ROWS[1]) + "\n")
    assert read_local(tmp_path, ["Part-A", "part-b", "part-c"]) == {
        "Part-A": ROWS[:1],
        "part-b": ROWS,
    }


def test_a_folder_with_one_file_serves_a_benchmark_of_one_subset(tmp_path):
    (tmp_path / "gpqa_diamond.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    (tmp_path / "README.md").write_text("not a table")
    assert read_local(tmp_path, ["default"]) == {"": ROWS[:1]}
    with pytest.raises(DataError):  # several subsets: the file must name one
        read_local(tmp_path, ["default", "other"])
    (tmp_path / "more.jsonl").write_text(json.dumps(ROWS[1]) + "\n")
    with pytest.raises(DataError):  # two files: which one?
        read_local(tmp_path, ["default"])


def test_read_local_single_file_and_missing_paths(tmp_path):
    path = tmp_path / "all.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n")
    assert read_local(path, ["x"]) == {"": ROWS[:1]}
    with pytest.raises(DataError) as raised:
        read_local(tmp_path / "nope", ["x"])
    assert str(raised.value) == f"no such file or folder: {tmp_path / 'nope'}"
    with pytest.raises(DataError) as raised:
        read_local(tmp_path, ["x", "y"])
    expected = f"{tmp_path} holds no subset file (expected one of: x.jsonl, y.jsonl)"
    assert str(raised.value) == expected


def test_pick_takes_the_first_present_field():
    row = {"problem": "p", "question": None, "Answer": 7}
    assert pick(row, ("question", "problem"), "question") == "p"  # None counts as absent
    assert pick(row, ("answer", "Answer"), "answer") == 7
    with pytest.raises(DataError) as raised:
        pick(row, ("solution", "target"), "answer")
    assert str(raised.value) == (
        "row has no answer field (looked for solution, target; has problem, question, Answer)"
    )


def test_content_hash_is_short_stable_and_order_sensitive():
    digest = content_hash(ROWS)
    assert len(digest) == 16
    assert int(digest, 16) >= 0
    assert content_hash([dict(reversed(row.items())) for row in ROWS]) == digest
    assert content_hash(list(reversed(ROWS))) != digest
    assert content_hash([*ROWS[:1], {**ROWS[1], "answer": "70"}]) != digest
    assert content_hash([]) == content_hash(iter([]))
