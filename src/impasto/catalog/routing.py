"""A path convertor for endpoint ids in URLs: like Starlette's ``path``, every character.

``path`` is ``.*``, which stops at a newline, so ``/v1/admin/models/a%0Ab`` would match no
route and answer 404 before the key is even checked. ``{endpoint_id:endpoint}`` matches any
text, reaches the endpoint, and the id is then validated like any other input.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class EndpointIdConvertor(Convertor[str]):
    regex = "(?s:.+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("endpoint", EndpointIdConvertor())
