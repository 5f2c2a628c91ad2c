"""Which scopes a key's principal allows: WORKER stands apart from the tenant scopes."""

import pytest

from impasto.keys.service import Principal
from impasto.models import KeyScope


@pytest.mark.parametrize(
    ("scope", "required", "allowed"),
    [
        (KeyScope.API, KeyScope.API, True),
        (KeyScope.ADMIN, KeyScope.API, True),
        (KeyScope.ADMIN, KeyScope.ADMIN, True),
        (KeyScope.API, KeyScope.ADMIN, False),
        (KeyScope.WORKER, KeyScope.WORKER, True),
        (KeyScope.WORKER, KeyScope.API, False),
        (KeyScope.WORKER, KeyScope.ADMIN, False),
        (KeyScope.API, KeyScope.WORKER, False),
        (KeyScope.ADMIN, KeyScope.WORKER, False),
    ],
)
def test_worker_scope_stands_apart(scope: KeyScope, required: KeyScope, allowed: bool) -> None:
    principal = Principal(owner="acme", key_id="k", scope=scope)
    assert principal.allows(required) is allowed
