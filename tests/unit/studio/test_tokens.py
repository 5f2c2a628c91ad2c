from impasto.studio.tokens import csrf_matches, csrf_token, is_secret, new_secret, session_hash


def test_secrets_are_distinct_and_well_formed() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert is_secret(first)
    assert not is_secret(first + "x")
    assert not is_secret("a;b")


def test_hash_and_csrf_token_differ_from_the_secret_and_each_other() -> None:
    secret = new_secret()
    assert session_hash(secret) != csrf_token(secret)
    assert secret not in (session_hash(secret), csrf_token(secret))


def test_csrf_token_matches_only_its_session() -> None:
    secret = new_secret()
    assert csrf_matches(secret, csrf_token(secret))
    assert not csrf_matches(secret, csrf_token(new_secret()))
    assert not csrf_matches(secret, None)
    assert not csrf_matches(secret, "")
