"""What a plan delivers: the topics of the open resources its open roots reach."""

from __future__ import annotations

import pytest

from tests.support.runtime import SPEC
from tunestream.runtime.plan import Plan
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.unit

FORBIDDEN = "forbidden to these credentials (HTTP 403)"


def test_a_new_plan_delivers_every_topic_its_roots_lead_to() -> None:
    plan = Plan.initial(SPEC, "latest", frozenset())
    assert (plan.delivers(SPEC), plan.closed()) == (["authors", "products"], {})


@pytest.mark.parametrize(
    ("skip", "delivers"),
    [
        ({"authors"}, ["products"]),
        # authors are found in the products' reviews: closed products close them too
        ({"products"}, []),
        ({"reviews"}, ["products"]),
        ({"latest"}, []),  # the mode's only root
        ({"search"}, ["authors", "products"]),  # not a root of this mode
    ],
)
def test_a_resource_switched_off_takes_its_topic_and_its_children_s_away(
    skip: set[str], delivers: list[str]
) -> None:
    plan = Plan.initial(SPEC, "latest", frozenset(skip))
    assert plan.delivers(SPEC) == delivers
    assert plan.closed() == dict.fromkeys(skip, "switched off in the configuration")


def test_a_forbidden_root_with_a_fallback_delivers_what_it_did() -> None:
    plan = Plan.initial(SPEC, "latest", frozenset())
    plan.forbidden(SPEC, "latest", "HTTP 403")
    assert plan.roots == ["search"]
    assert plan.delivers(SPEC) == ["authors", "products"]
    assert plan.closed() == {"latest": FORBIDDEN}


def test_a_batch_step_down_delivers_the_same_and_closing_takes_the_topic_away() -> None:
    plan = Plan.initial(SPEC, "latest", frozenset())
    plan.forbidden(SPEC, "products", "HTTP 403")  # to single requests
    assert (plan.delivers(SPEC), plan.closed()) == (["authors", "products"], {})
    plan.forbidden(SPEC, "authors", "HTTP 403")
    assert (plan.delivers(SPEC), plan.closed()) == (["products"], {"authors": FORBIDDEN})


def test_a_development_app_s_spotify_plan_delivers_no_features_or_analysis() -> None:
    spec = load_spec("spotify", environ={"SPOTIFY_CLIENT_ID": "i", "SPOTIFY_CLIENT_SECRET": "s"})
    plan = Plan.initial(spec, "full", frozenset({"audio_analysis"}))
    everything = ["albums", "artists", "audio_features", "tracks"]
    assert plan.delivers(spec) == everything
    for name in ("audio_features", "audio_features"):  # the batch request, then the single one
        plan.forbidden(spec, name, "HTTP 403")
    assert plan.delivers(spec) == ["albums", "artists", "tracks"]
    assert plan.closed() == {
        "audio_features": FORBIDDEN,
        "audio_analysis": "switched off in the configuration",
    }
