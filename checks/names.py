"""Names made from a saved report's data: a file name or an HTML anchor from a claim id, a
control id or a panel's title.

A report travels with a paper's review, so its ids are untrusted text: ``../../x`` or
``" onclick="...`` must not reach a path or markup.  Every such name is a slug of the text
(lower-case letters, digits and hyphens, for the reader) plus a hash of the whole text (so
that texts with one slug keep distinct names).
"""

from __future__ import annotations

import hashlib
import re

#: characters of the slug part; the hash is 10 hex digits (40 bits)
_SLUG_LENGTH = 48
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def slug(text: str) -> str:
    """``text`` lower-cased, every run of other characters than letters and digits one hyphen,
    at most :data:`_SLUG_LENGTH` characters."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:_SLUG_LENGTH].strip("-")


def hashed(*parts: str) -> str:
    """A name in ``[a-z0-9-]`` for the tuple ``parts``: their slugs and a hash of them all."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return "-".join([*(s for s in map(slug, parts) if s), digest])


def longest(parts: int) -> int:
    """The most characters :func:`hashed` gives for ``parts`` texts."""
    return parts * (_SLUG_LENGTH + 1) + 10


def anchor(check_id: str) -> str:
    """The HTML anchor of a claim or control: the id itself where it is already a safe name
    (``A3``, ``A3-rate-too-fast``: readable links), else :func:`hashed`."""
    return check_id if _SAFE.fullmatch(check_id) else hashed(check_id)
