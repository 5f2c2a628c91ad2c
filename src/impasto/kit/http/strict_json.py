"""The JSON parser for request bodies: RFC 8259 only, failures as ``JSONDecodeError``.

Python's ``json.loads`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` and turns numbers
such as ``1e999`` into ``inf``; none of them is JSON, and they break whatever stores or
compares the value later. Some of its failures are not ``JSONDecodeError`` (too deep a
nesting is a ``RecursionError``, an integer of more than 4300 digits a ``ValueError``),
which FastAPI would answer with a bare 400 (or, past its handler, a 500) instead of its
``json_invalid`` validation error. Here each is a ``JSONDecodeError`` whose message says
what was wrong.

The hooks are Python functions on purpose. ``json.loads`` holds the GIL for its whole run,
so parsing in a worker thread alone would still stall the event loop; each call into a
Python hook is a point where the interpreter can hand the GIL back to the loop. Objects
and floats get one each (measured: the longest loop stall while a 13 MiB body of objects
is parsed in a thread goes from the whole parse, ~370 ms, to ~40 ms, for ~10% more parse
time). Integers and strings get none: a ``parse_int`` hook made integer-heavy bodies four
times slower to parse, and the body size limit already bounds that case.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

# The first non-finite literal outside a string, for the error's position (best effort).
_CONSTANT = re.compile(r"(?<![\w\"])(-?Infinity|NaN)\b")


class _NotJson(ValueError):
    """Raised inside a hook; carries the offending text so the position can be found."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.message = message
        self.text = text


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJson(f"Number {text} is out of range (not a finite number)", text)
    return value


def _no_constant(text: str) -> Any:
    raise _NotJson(f"{text} is not valid JSON (only finite numbers are)", text)


def _same(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def parse_json(body: bytes | str) -> Any:
    """Parse ``body`` as strict JSON; any problem but undecodable bytes is a ``JSONDecodeError``."""
    # As json.loads does: UTF-8, or UTF-16/32 recognised by their first bytes. Bytes that
    # are no text stay a UnicodeDecodeError, which FastAPI answers with a 400, as before.
    doc = (
        body.decode(json.detect_encoding(body), "surrogatepass")
        if isinstance(body, bytes)
        else body
    )
    try:
        return json.loads(
            doc, parse_float=_finite_float, parse_constant=_no_constant, object_hook=_same
        )
    except json.JSONDecodeError:
        raise
    except _NotJson as exc:
        match = _CONSTANT.search(doc) if exc.text in ("NaN", "Infinity", "-Infinity") else None
        pos = match.start() if match else max(doc.find(exc.text), 0)
        raise json.JSONDecodeError(exc.message, doc, pos) from None
    except RecursionError:
        raise json.JSONDecodeError("Arrays or objects are nested too deeply", doc, 0) from None
    except ValueError:
        # int() past sys.get_int_max_str_digits(): the only other ValueError json raises.
        limit = sys.get_int_max_str_digits()
        raise json.JSONDecodeError(f"An integer has more than {limit} digits", doc, 0) from None
