"""Project paths, file names and content types that reach storage."""

from __future__ import annotations

import re

import pytest

from impasto.files.paths import (
    PATH_PATTERN,
    clean_content_type,
    clean_file_name,
    validate_directory,
    validate_path,
)
from impasto.kit.errors import InvalidRequest


@pytest.mark.parametrize(
    "path",
    ["", "/abs", "../x", "a/../b", "a/./b", "a//b", "a/", "a\\b", "a\x00b", "x" * 1025],
)
def test_paths_that_could_escape_are_refused(path: str) -> None:
    with pytest.raises(InvalidRequest):
        validate_path(path)


def test_the_documented_pattern_agrees_with_the_validator() -> None:
    pattern = re.compile(PATH_PATTERN)
    for good in ("a", "a/b.txt", ".env", "..x/y", "x..", "d/.hidden", "caf\u00e9"):
        assert pattern.match(good), good
        validate_path(good)
    for bad in ("", "/a", ".", "..", "a/../b", "a//b", "a\\b", "a\x00", "a/", "s" * 256):
        assert not pattern.match(bad), bad
        with pytest.raises(InvalidRequest):
            validate_path(bad)


def test_good_paths_are_kept_and_normalised() -> None:
    assert validate_path("datasets/images/cat.jpg") == "datasets/images/cat.jpg"
    assert validate_path("caf\u0065\u0301.txt") == "caf\u00e9.txt"  # NFC
    assert validate_directory(None) == ""
    assert validate_directory("") == ""
    assert validate_directory("datasets/") == "datasets"


def test_file_names_are_cleaned() -> None:
    assert clean_file_name("../../etc/passwd", "text/plain") == "passwd"
    assert clean_file_name("C:\\Users\\me\\a.png", "image/png") == "a.png"
    assert clean_file_name('a"<b>.txt', "text/plain") == "a__b_.txt"
    assert clean_file_name(None, "image/jpeg") == "upload.jpg"
    assert clean_file_name("..", "application/octet-stream") == "upload.bin"
    long = clean_file_name("x" * 300 + ".tar.gz", "application/gzip")
    assert len(long) == 200
    assert long.endswith(".gz")


def test_content_types() -> None:
    assert clean_content_type(None) == "application/octet-stream"
    assert clean_content_type("text/plain; charset=utf-8") == "text/plain; charset=utf-8"
    for bad in ("text", "text/plain\r\nX-Evil: 1", "a/b; c", "x" * 300):
        with pytest.raises(InvalidRequest):
            clean_content_type(bad)
