"""Record shaping: JMESPath queries and templates compiled once, applied to a record and its
context in a fixed order."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tunestream.http.query import Key, Query, Template
from tunestream.spec.shape import Shape, ShapedRecord

pytestmark = pytest.mark.unit

ISSUE = {
    "node_id": "I_kw1",
    "number": 42,
    "title": "Crash on start",
    "state": "open",
    "labels": [{"name": "bug"}, {"name": "p1"}],
    "updated_at": "2024-01-05T10:00:00Z",
}
CONTEXT = {"repo": "octo/app", "parent": {"node_id": "R_kg9", "full_name": "octo/app"}}


def shape(**keys: Any) -> Shape:
    return Shape.model_validate(keys)


def test_a_github_issue_is_keyed_stamped_trimmed_and_told_its_repository() -> None:
    issue_shape = shape(
        filter="state == 'open'",
        key="{repo}#{number}",
        timestamp="updated_at",
        keep=["number", "title"],
        add={"repository": "{repo}", "repository_node_id": "{parent.node_id}", "source": "gh"},
    )
    assert issue_shape.apply(ISSUE, CONTEXT) == ShapedRecord(
        value={
            "number": 42,
            "title": "Crash on start",
            "repository": "octo/app",
            "repository_node_id": "R_kg9",
            "source": "gh",
        },
        key="octo/app#42",
        timestamp_ms=1_704_448_800_000,
    )


def test_a_filtered_out_record_is_none() -> None:
    assert shape(filter="state == 'closed'").apply(ISSUE) is None
    assert shape(filter="labels[?name == 'bug']").apply(ISSUE) is not None
    assert shape(filter="labels[?name == 'wontfix']").apply(ISSUE) is None  # [] is false


@pytest.mark.parametrize(
    ("value", "kept"),
    [(0, True), (False, False), (None, False), ("", False), ({}, False), ("no", True)],
)
def test_the_filter_uses_jmespath_truth_where_zero_is_true(value: object, kept: bool) -> None:
    assert (shape(filter="flag").apply({"flag": value}) is not None) is kept


def test_without_a_shape_key_or_timestamp_both_are_none_and_the_value_is_the_record() -> None:
    assert shape().apply(ISSUE, CONTEXT) == ShapedRecord(ISSUE, None, None)


def test_a_plain_key_is_a_query_and_non_text_values_render_as_json() -> None:
    assert shape(key="node_id").apply(ISSUE).key == "I_kw1"  # type: ignore[union-attr]
    assert shape(key="number").apply(ISSUE).key == "42"  # type: ignore[union-attr]
    assert shape(key="labels[0]").apply(ISSUE).key == '{"name":"bug"}'  # type: ignore[union-attr]
    assert shape(key="{repo}-{labels[1].name}").apply(ISSUE, CONTEXT).key == (  # type: ignore[union-attr]
        "octo/app-p1"
    )


def test_a_template_with_a_null_placeholder_renders_null() -> None:
    shaped = shape(key="{repo}#{missing}", add={"parent_name": "{parent.name}"}).apply(
        ISSUE, CONTEXT
    )
    assert shaped is not None
    assert shaped.key is None
    assert shaped.value["parent_name"] is None


def test_the_context_hides_a_record_field_of_the_same_name() -> None:
    record = {"repo": "from the record", "id": 1}
    assert shape(key="repo").apply(record, {"repo": "from for_each"}).key == "from for_each"  # type: ignore[union-attr]


def test_key_and_timestamp_are_read_before_keep_and_drop() -> None:
    shaped = shape(key="node_id", timestamp="updated_at", drop=["node_id", "updated_at"]).apply(
        ISSUE
    )
    assert shaped == ShapedRecord(
        {"number": 42, "title": "Crash on start", "state": "open", "labels": ISSUE["labels"]},
        "I_kw1",
        1_704_448_800_000,
    )


def test_add_overwrites_a_field_and_keeps_constants_as_they_are() -> None:
    shaped = shape(keep=["number"], add={"number": 7, "draft": False, "note": None}).apply(ISSUE)
    assert shaped is not None
    assert shaped.value == {"number": 7, "draft": False, "note": None}
    assert ISSUE["number"] == 42  # the record given is not changed


@pytest.mark.parametrize(
    ("stamp", "unit", "ms"),
    [
        ("2024-01-05T10:00:00Z", "s", 1_704_448_800_000),
        ("2024-01-05T11:00:00.250+01:00", "s", 1_704_448_800_250),
        ("2024-01-05T10:00:00", "s", 1_704_448_800_000),  # no zone: UTC
        ("2024-01-05", "s", 1_704_412_800_000),  # a date: its midnight
        (1_704_448_800, "s", 1_704_448_800_000),
        (1_704_448_800.123, "s", 1_704_448_800_123),
        (1_704_448_800_123, "ms", 1_704_448_800_123),
        ("yesterday", "s", None),
        ("1704448800", "s", None),  # text that is a number is no ISO-8601
        (True, "s", None),
        (-1, "s", None),  # before 1970: Kafka takes none
        ("1969-12-31T23:59:59Z", "s", None),
        (float("inf"), "s", None),
        ({"at": 1}, "s", None),
    ],
)
def test_timestamps_in_milliseconds(stamp: object, unit: str, ms: int | None) -> None:
    record = {"at": stamp}
    assert shape(timestamp="at", timestamp_unit=unit).apply(record).timestamp_ms == ms  # type: ignore[union-attr]


def test_a_record_that_is_no_object_keeps_its_value() -> None:
    shaped = shape(key="@", keep=["a"], add={"b": 1}).apply("abc", CONTEXT)
    assert shaped == ShapedRecord("abc", "abc", None)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"key": "a["}, "key: 'a[' is not a JMESPath expression (it ends too early)"),
        (
            {"filter": "a b"},
            "filter: 'a b' is not a JMESPath expression (unexpected 'b' at column 2)",
        ),
        ({"filter": "contians(title, 'x')"}, "JMESPath has no function contians()"),
        ({"filter": "length(a, b)"}, "length() takes 1 argument(s), not 2"),
        ({"key": "{repo"}, "a '{' without its pair at column 0; write '{{' for a literal brace"),
        ({"add": {"a": "x}"}}, "add.a: template 'x}': a '}' without its pair at column 1"),
        ({"add": {"a": "{}"}}, "template '{}': '' is not a JMESPath expression (it is empty)"),
        ({"add": {"a": [1]}}, "add.a: a text (a template), a number, true, false or null"),
        ({"keep": ["a"], "drop": ["b"]}, "keep and drop exclude each other"),
        ({"keys": "id"}, "keys: Extra inputs are not permitted"),
        ({"timestamp_unit": "us"}, "timestamp_unit: Input should be 's' or 'ms'"),
    ],
)
def test_a_bad_shape_is_a_validation_error_naming_the_expression(
    keys: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Shape.model_validate(keys)
    message = "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
        for e in caught.value.errors()
    )
    assert expected in message


def test_texts_compile_once_and_compare_by_their_text() -> None:
    first = shape(key="{repo}#{number}", filter="state == 'open'")
    second = shape(key="{repo}#{number}", filter="state == 'open'")
    assert first == second
    assert first.model_dump(mode="json") == {
        "filter": "state == 'open'",
        "key": "{repo}#{number}",
        "timestamp": None,
        "timestamp_unit": "s",
        "keep": None,
        "drop": None,
        "add": {},
    }
    assert Shape.model_validate(first.model_dump()) == first


def test_literal_braces_are_doubled() -> None:
    assert Template("{{{repo}}}").render(CONTEXT) == "{octo/app}"
    assert Template("no placeholder").render({}) == "no placeholder"
    assert Key("{{id}}").render({"id": 1}) == "{id}"  # a brace: a template, not a query
    assert Query("length(labels)").search(ISSUE) == 2
    assert Query("length(number)").search(ISSUE) is None  # a type error reads null
