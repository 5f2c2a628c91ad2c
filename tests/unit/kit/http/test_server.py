import resource

from impasto.kit.http.server import (
    FD_HEADROOM,
    LISTEN_BACKLOG,
    connection_cap,
    raise_open_file_limit,
)


def test_the_connection_cap_keeps_clear_of_the_open_file_limit() -> None:
    plenty = 1 << 20
    assert connection_cap(1000, plenty) == 1000
    tight = 1000 + LISTEN_BACKLOG + FD_HEADROOM
    assert connection_cap(1000, tight) == 1000
    assert connection_cap(1000, tight - 1) == 999
    assert connection_cap(1000, 1024) == 256  # hopelessly low: a quarter of it


def test_the_soft_open_file_limit_is_raised_to_the_hard_one() -> None:
    before, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = raise_open_file_limit()
    after, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert limit == after >= before
    if hard != resource.RLIM_INFINITY:
        assert after == hard
