import pytest

from impasto.kit.errors import InvalidRequest
from impasto.scenario.models.params import RawListParams, browse_query


def test_defaults_follow_privacy() -> None:
    private = browse_query(RawListParams(), "acme")
    assert (private.privacy, private.sort, private.descending, private.limit) == (
        "private",
        "created_at",
        True,
        100,
    )
    public = browse_query(RawListParams(privacy="public", sort_direction="asc"), "acme")
    assert (public.sort, public.descending) == ("popularity", True)  # direction ignored


def test_lists_and_dates_are_parsed() -> None:
    query = browse_query(
        RawListParams(
            privacy="public",
            sort_by="createdAt",
            created_after="2026-01-01T00:00:00Z",
            tags="a, b,a",
            types="sd-xl,flux.1",
            page_size="500",
        ),
        "acme",
    )
    assert query.tags == ["a", "b"]
    assert query.types == ["sd-xl", "flux.1"]
    assert query.created_after is not None
    assert query.created_after.tzinfo is not None
    assert query.limit == 500


@pytest.mark.parametrize(
    "raw",
    [
        RawListParams(collection_id="a,b"),
        RawListParams(tags=" , "),
        RawListParams(tags=",".join(f"t{i}" for i in range(51))),
        RawListParams(sort_by="createdAt", created_before="2026-13-01"),
    ],
)
def test_rule_violations(raw: RawListParams) -> None:
    with pytest.raises(InvalidRequest):
        browse_query(raw, "acme")
