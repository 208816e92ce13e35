"""A calibration's finished cells as data: the result of one cell, the records file (JSON
Lines, one cell a line, the portable and committed form) and the cache's entries
(:mod:`checks.cache`).

A records file is committed and a cache is shared, so both are read as untrusted data:

* **Form**: each record and each cache entry is checked against a JSON Schema
  (:data:`RECORD_SCHEMA`, :data:`RESULT_SCHEMA`, with ``jsonschema``): a verdict outside PASS,
  FAIL and INCONCLUSIVE, a missing field or a wrong type is refused with its line number.
* **Against itself**: a cell keeps every outcome's name, verdict and whether it gates, so its
  verdict must be the one its gating outcomes give (:func:`checks.decision.claim_verdict`, the
  rule every check's verdict follows); a forged ``"verdict": "PASS"`` over a FAILing outcome
  is refused.  (A forgery consistent with itself is found only by recomputing:
  ``calibrate --verify K``.)
* **Bounded**: a records file is read from a regular file only, line by line, each line at
  most :data:`MAX_LINE` bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

from checks.decision import Verdict, claim_verdict
from checks.files import open_regular, strict_json
from checks.paper import PROFILE_NAMES
from checks.schema import first_problem

#: the longest line of a records file: a record is about 600 bytes (A5m's, the longest, 1.6 kB)
MAX_LINE = 1 << 16
#: the bytes a record takes in memory, per byte of the file (measured with tracemalloc on the
#: committed quick calibration: 4.1; doubled)
MEMORY_PER_BYTE = 8

_VERDICT = {"enum": [v.value for v in Verdict]}

#: what computing a cell gives (:func:`checks.calibrate.compute_cell`): its verdict, and each
#: outcome as [name, verdict, gating] in the check's order
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["verdict", "outcomes", "elapsed_s"],
    "additionalProperties": False,
    "properties": {
        "verdict": _VERDICT,
        "outcomes": {"type": "array", "minItems": 1, "items": {
            "type": "array", "minItems": 3, "maxItems": 3,
            "prefixItems": [{"type": "string"}, _VERDICT, {"type": "boolean"}]}},
        "elapsed_s": {"type": "number", "minimum": 0},
    },
}
_CELL = {
    "paper": {"type": "string", "minLength": 1},
    "check": {"type": "string", "minLength": 1},
    "is_control": {"type": "boolean"},
    "profile": {"enum": list(PROFILE_NAMES)},
    "seed": {"type": "integer", "minimum": 0},
    "version": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}
#: one line of a records file: the cell, its paper's code version, and its result
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [*_CELL, *RESULT_SCHEMA["required"]],
    "additionalProperties": False,
    "properties": {**_CELL, **RESULT_SCHEMA["properties"]},
}
#: one cache entry: the cell and version it was stored under, and the result
CACHE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["cell", "version", "result"],
    "additionalProperties": False,
    "properties": {
        "cell": {"type": "object", "required": [k for k in _CELL if k != "version"],
                 "additionalProperties": False,
                 "properties": {k: v for k, v in _CELL.items() if k != "version"}},
        "version": _CELL["version"],
        "result": RESULT_SCHEMA,
    },
}
_VALIDATORS = {id(s): jsonschema.Draft202012Validator(s)
               for s in (RESULT_SCHEMA, RECORD_SCHEMA, CACHE_SCHEMA)}


class BadRecord(ValueError):
    """A record or cache entry that is not one; ``str(err)`` is one line."""


def problem(value: Any, schema: dict[str, Any]) -> str | None:
    """Why ``value`` is not a valid ``schema`` document with a consistent result (one line),
    or None."""
    why = first_problem(_VALIDATORS[id(schema)], value)
    if why is not None:
        return why
    result = value["result"] if schema is CACHE_SCHEMA else value
    gating = [Verdict(v) for _, v, gates in result["outcomes"] if gates]
    if claim_verdict(gating).value != result["verdict"]:
        return (f"the verdict {result['verdict']} does not follow from its gating outcomes, which "
                f"give {claim_verdict(gating).value}")
    return None


def lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """The lines of the records file ``path`` (a regular file), numbered from 1, each without
    its newline and with whether it had one; a line longer than :data:`MAX_LINE` raises
    :class:`BadRecord`."""
    with open(open_regular(path), "rb") as handle:
        for number in range(1, 2**62):
            line = handle.readline(MAX_LINE + 1)
            if not line:
                return
            ended = line.endswith(b"\n")
            if len(line) > MAX_LINE and not ended:
                raise BadRecord(f"{path}:{number}: longer than {MAX_LINE} bytes: not a calibration record")
            yield number, line.rstrip(b"\n"), ended


def parse(line: bytes) -> dict:
    """One records line as a record (:data:`RECORD_SCHEMA`, consistent with itself), or
    :class:`BadRecord` saying why not."""
    try:
        record = strict_json(line)
    except (ValueError, RecursionError):
        raise BadRecord("not JSON") from None
    why = problem(record, RECORD_SCHEMA)
    if why is not None:
        raise BadRecord(why)
    return record
