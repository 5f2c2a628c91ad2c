import uuid

from impasto.kit.ids import SequentialIds, UUIDv7Generator


def test_uuid7_has_version_and_variant() -> None:
    value = uuid.UUID(UUIDv7Generator().new())
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_strictly_increase_within_a_process() -> None:
    ids = UUIDv7Generator()
    values = [ids.new() for _ in range(20_000)]  # many share a millisecond
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_sequential_ids() -> None:
    ids = SequentialIds("k")
    assert [ids.new(), ids.new()] == ["k-000001", "k-000002"]
