from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Literal

import pytest
import yaml

from tunestream.errors import ConfigError
from tunestream.http.models import PAGINATOR_KINDS, PaginatorConfigBase
from tunestream.http.paginators import SinglePagePaginator
from tunestream.spec.loader import builtin_specs, load_spec, spec_data
from tunestream.spec.models import ListResource, SourceSpec, Split, select_ids

pytestmark = pytest.mark.unit

ENV = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}


def test_the_spotify_spec_loads_with_its_graph_in_order() -> None:
    assert "spotify" in builtin_specs()
    spec = load_spec("spotify", environ=ENV)
    order = spec.order()
    assert order.index("albums") < order.index("album_tracks") < order.index("tracks")
    assert order.index("tracks") < order.index("artists")
    assert set(spec.children("tracks")) == {"audio_features", "audio_analysis", "artists"}
    assert spec.client.base_url == "https://api.spotify.com/v1"


def test_environment_references_fill_in_after_parsing() -> None:
    spec = load_spec("spotify", environ={**ENV, "SPOTIFY_API_URL": "http://127.0.0.1:1/v1"})
    assert spec.client.base_url == "http://127.0.0.1:1/v1"
    assert spec.client.auth.client_secret.get_secret_value() == "secret"  # type: ignore[attr-defined]


def test_a_missing_credential_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="environment variable SPOTIFY_CLIENT_ID is not set"):
        load_spec("spotify", environ={})


def test_variables_can_be_overridden_but_not_invented() -> None:
    spec = load_spec("spotify", environ=ENV, variables={"markets": ["SE"]})
    assert spec.variables["markets"] == ["SE"]
    with pytest.raises(ConfigError, match="no variable countries to override"):
        load_spec("spotify", environ=ENV, variables={"countries": ["SE"]})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("resources.albums.batch.max: 0", "resources.albums.lookup.batch.max: Input should be"),
        ("resources.tracks.from: [{resource: nowhere}]", "unknown parent 'nowhere'"),
        ("resources.albums.kind: table", "does not match any of the expected tags"),
        ("modes: {full: [albums]}", "'albums' is not a list or topic resource"),
        (
            "resources.new_albums.paginator: {type: zigzag}",
            "does not match any of the expected tags: 'single', 'offset'",
        ),
    ],
)
def test_a_wrong_spec_is_one_line_naming_the_path(
    tmp_path: Path, change: str, expected: str
) -> None:
    data = yaml.safe_load((resources.files("tunestream.sources") / "spotify.yaml").read_text())
    path_text, value_text = change.split(": ", 1)
    *parents, leaf = path_text.split(".")
    target = data
    for key in parents:
        target = target[key]
    target[leaf] = yaml.safe_load(value_text)
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_spec(str(file), environ=ENV)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_select_ids_fans_out_over_lists() -> None:
    record = {"id": "a1", "artists": [{"id": "x"}, {"id": "y"}, {"name": "no id"}]}
    assert select_ids(record, "id") == ["a1"]
    assert select_ids(record, "artists.*.id") == ["x", "y"]
    assert select_ids(record, "missing.*.id") == []


def test_split_narrows_prefixes_into_a_whole_word_and_longer_prefixes() -> None:
    split = Split(param="q", cap=1000, refine=["album:{word}", "artist:{word}"], alphabet="ab")
    first = split.narrower([])
    assert [split.render(t) for t in first] == ["album:a*", "album:b*"]
    second = split.narrower(first[0])
    assert [split.render(t) for t in second] == ["album:a", "album:aa*", "album:ab*"]
    # a whole word that is still too broad is narrowed by the next field
    third = split.narrower(second[0])
    assert [split.render(t) for t in third] == ["album:a artist:a*", "album:a artist:b*"]
    # and when every field is a whole word, nothing narrower exists
    assert split.narrower([["album:{word}", "a"], ["artist:{word}", "b"]]) == []


class SkipConfig(PaginatorConfigBase):
    """A kind a plugin might add."""

    type: Literal["skip"] = "skip"
    every: int = 2


DEMO = """
name: demo
client: {base_url: "https://api.example.test/v1"}
modes: {all: [things]}
resources:
  things:
    kind: list
    request: {path: /things}
    paginator: {type: skip, every: EVERY}
"""


@pytest.fixture
def skip_kind() -> Iterator[None]:
    PAGINATOR_KINDS.register("skip", SkipConfig)(SinglePagePaginator)
    try:
        yield
    finally:
        PAGINATOR_KINDS.unregister("skip")


def load_demo(tmp_path: Path, every: str = "3") -> SourceSpec:
    file = tmp_path / "demo.yaml"
    file.write_text(DEMO.replace("EVERY", every))
    return load_spec(str(file), environ={})


def test_a_registered_paginator_kind_is_valid_in_a_spec(tmp_path: Path, skip_kind: None) -> None:
    resource = load_demo(tmp_path).resources["things"]
    assert isinstance(resource, ListResource)
    assert resource.paginator == SkipConfig(every=3)
    with pytest.raises(ConfigError) as caught:
        load_demo(tmp_path, every="often")
    assert str(caught.value).startswith(
        f"source spec {tmp_path / 'demo.yaml'}: resources.things.list.paginator.skip.every: "
    )


def test_an_unregistered_kind_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_demo(tmp_path)
    assert str(caught.value) == (
        f"source spec {tmp_path / 'demo.yaml'}: resources.things.list.paginator: "
        "Input tag 'skip' found using 'type' does not match any of the expected tags: "
        "'single', 'offset', 'next_url', 'cursor', 'page_number', 'link_header', "
        "'header_cursor'"
    )


def test_the_spotify_spec_declares_what_its_quota_answer_means() -> None:
    actions = load_spec("spotify", environ=ENV).client.response_actions
    assert [(a.status_code, a.content, a.action) for a in actions] == [
        (429, "QUOTA_EXCEEDED", "quota_exceeded")
    ]


@pytest.mark.parametrize(
    ("text", "environ", "want"),
    [
        ('"${SHARE:-1}"', {}, 1),
        ('"${SHARE:-1}"', {"SHARE": "0.25"}, 0.25),
        ('"${SHARE:-1}"', {"SHARE": "half"}, "half"),  # the model then names the path
        ('"${CLIENT_ID}"', {"CLIENT_ID": "12345"}, "12345"),  # no numeric default: text
        ('"x${SHARE:-1}"', {}, "x1"),
    ],
)
def test_a_reference_alone_with_a_numeric_default_is_a_number(
    tmp_path: Path, text: str, environ: dict[str, str], want: object
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(f"value: {text}\n")
    _, data = spec_data(str(path), environ=environ)
    assert data["value"] == want and type(data["value"]) is type(want)


@pytest.mark.parametrize(
    ("environ", "agent"),
    [
        ({"MUSICBRAINZ_CONTACT": "me@example.org"}, "tunestream/0.1.0 ( me@example.org )"),
        ({}, "tunestream/0.1.0 ( no contact given )"),  # a user without one still runs
    ],
)
def test_the_musicbrainz_user_agent_names_the_contact_given(
    environ: dict[str, str], agent: str
) -> None:
    assert load_spec("musicbrainz", environ=environ).client.headers["User-Agent"] == agent
