"""One tokenizer for stored text and queries, so both databases see the same tokens.

Text is NFKD-folded, stripped of combining marks and case-folded, then split on anything
that is not a letter or digit. Stored fields become ``" tok tok "`` (padded with spaces) so
that "some token starts with t" is the substring test ``" t"`` and "some token is t" is
``" t "``: the same test on SQLite (``instr``) and PostgreSQL (``strpos``). On PostgreSQL
a GIN index over ``to_tsvector`` narrows the rows first (``tsquery``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_QUERY_TERMS = 8
MAX_TERM_LENGTH = 64
_SPLIT = re.compile(r"[\W_]+")


def tokens(text: str) -> list[str]:
    if text.isascii():
        # NFKD leaves ASCII alone and casefold is lower there: skip the per-character pass,
        # which dominated bulk imports.
        folded = text.lower()
    else:
        folded = unicodedata.normalize("NFKD", text)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return [token for token in _SPLIT.split(folded) if token]


def padded(*texts: str) -> str:
    """The stored, searchable form of one or more texts."""
    words = [token for text in texts for token in tokens(text)]
    return f" {' '.join(words)} " if words else " "


def query_terms(q: str) -> list[str]:
    """Distinct query terms in order, capped so a query stays cheap."""
    seen: list[str] = []
    for token in tokens(q):
        term = token[:MAX_TERM_LENGTH]
        if term not in seen:
            seen.append(term)
    return seen[:MAX_QUERY_TERMS]


def tsquery(terms: Sequence[str], *, prefix: bool = True) -> str | None:
    """PostgreSQL's ``to_tsquery`` text for rows holding every term (``prefix``: as the
    start of a token, else as a whole token); None when no term can be asked that way.

    Non-ASCII terms are left out: how the server's text parser splits them depends on its
    locale, so the substring tests decide for them rather than risk missing rows."""
    ascii_terms = [term for term in terms if term.isascii()]
    suffix = ":*" if prefix else ""
    return " & ".join(f"{term}{suffix}" for term in ascii_terms) if ascii_terms else None
