"""``sample`` on an edge: a share of the ids, the same ones every time, nested as it grows."""

from __future__ import annotations

import pytest

from tunestream.spec.models import Edge

pytestmark = pytest.mark.unit

RECORDS = [{"isrc": f"GBAYE26{n:05d}"} for n in range(20_000)]


def kept(sample: float) -> set[str]:
    edge = Edge.model_validate({"resource": "tracks", "select": "isrc", "sample": sample})
    return {i for record in RECORDS for i in edge.ids(record)}


def test_a_sample_keeps_about_its_share_of_the_ids() -> None:
    for share in (0.1, 0.5, 0.9):
        assert abs(len(kept(share)) / len(RECORDS) - share) < 0.02, share


def test_a_sample_keeps_the_same_ids_every_time_and_a_smaller_one_is_inside_a_larger() -> None:
    assert kept(0.3) == kept(0.3)
    assert kept(0.3) < kept(0.6) < kept(1.0)
    assert len(kept(1.0)) == len(RECORDS)


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="sample"):
        Edge.model_validate({"resource": "tracks", "sample": share})
