import pytest

from impasto.sdk.naming import endpoint_id, kebab_case, normalize_path, validate_app_name


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("MyGoodApp", "my-good-app"),
        ("App", "app"),
        ("HTTPTools", "http-tools"),
        ("TextToImage2", "text-to-image2"),
        ("Flux_Dev", "flux-dev"),
        ("SDXLTurboApp", "sdxl-turbo-app"),
    ],
)
def test_kebab_case_follows_fal(class_name: str, expected: str) -> None:
    assert kebab_case(class_name) == expected


@pytest.mark.parametrize("name", ["", "-app", "App", "a b", "x" * 64, "café"])
def test_bad_app_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid app name"):
        validate_app_name(name)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", "/"), ("", "/"), ("sub", "/sub"), ("/sub/", "/sub"), ("/a/b", "/a/b")],
)
def test_paths_are_normalised(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


@pytest.mark.parametrize("path", ["/..", "/a/./b", "/sp ace", "/é"])
def test_odd_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="invalid endpoint path"):
        normalize_path(path)


def test_endpoint_ids_join_owner_app_and_path() -> None:
    assert endpoint_id("acme", "my-app") == "acme/my-app"
    assert endpoint_id("acme", "my-app", "/") == "acme/my-app"
    assert endpoint_id("acme", "my-app", "/dev") == "acme/my-app/dev"
    with pytest.raises(ValueError, match="owner"):
        endpoint_id("Acme!", "my-app")
