import pytest
from starlette.requests import Request

from impasto.kit.http.base_url import base_url, own_bases, own_origins


def request_to(url: str) -> Request:
    scheme, rest = url.split("://")
    host, _, port = rest.partition(":")
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "server": (host, int(port or 443)),
            "path": "/x",
            "root_path": "",
            "headers": [(b"host", rest.encode())],
        }
    )


def test_the_public_url_wins_else_the_requests_own() -> None:
    request = request_to("http://10.0.0.5:8000")
    assert base_url(request, None) == "http://10.0.0.5:8000"
    assert base_url(request, "https://media.example") == "https://media.example"
    assert own_bases(request, None) == ["http://10.0.0.5:8000"]
    assert own_bases(request, "https://media.example") == [
        "https://media.example",
        "http://10.0.0.5:8000",
    ]


@pytest.mark.parametrize(
    ("public_url", "host", "port", "origins"),
    [
        (None, "127.0.0.1", 0, []),
        (None, "0.0.0.0", 8000, ["http://127.0.0.1:8000", "http://localhost:8000"]),  # noqa: S104
        (
            "https://media.example",
            "10.0.0.5",
            8000,
            [
                "https://media.example",
                "http://10.0.0.5:8000",
                "http://127.0.0.1:8000",
                "http://localhost:8000",
            ],
        ),
    ],
)
def test_own_origins(public_url: str | None, host: str, port: int, origins: list[str]) -> None:
    assert own_origins(public_url, host, port) == origins
