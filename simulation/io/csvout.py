"""CSV text exactly as ``pandas.DataFrame(columns).to_csv(index=False)`` writes it, for the
plain columns a run produces, without importing pandas (``egov-sim run`` start-up time).

Only column types whose pandas rendering is unambiguous are handled: whole numbers, numbers
(floats, possibly with ints and missing values: float64), booleans, and strings without
separators or quotes. Anything else returns None and the caller uses pandas itself. Tests
compare the bytes with pandas on random columns (tests/test_packaging.py).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any


def _column(values: Sequence[Any]) -> list[str] | None:
    kinds = {type(v) for v in values}
    if not kinds:
        return None
    if kinds == {int}:
        return [str(v) for v in values]
    if kinds == {bool}:
        return ["True" if v else "False" for v in values]
    if kinds <= {int, float, type(None)} and float in kinds:
        out = []
        for v in values:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                out.append("")
            else:
                out.append(repr(float(v)))
        return out
    if kinds == {str} and "" not in values:
        # csv.QUOTE_MINIMAL, as pandas writes: quote a field with a separator, quote or
        # line break, doubling the quotes inside.
        special = {",", '"', "\n", "\r"}
        return ['"' + v.replace('"', '""') + '"' if set(v) & special else v for v in values]
    return None


def to_csv(columns: Mapping[str, Sequence[Any]]) -> str | None:
    """The CSV text of ``columns`` (name -> values, all the same length), or None."""
    names = list(columns)
    if not names or any(set(n) & {",", '"', "\n", "\r"} for n in names):
        return None
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        return None
    cells = [_column(columns[n]) for n in names]
    if any(c is None for c in cells):
        return None
    if len(names) == 1:  # pandas quotes an empty field when it would be the whole line
        cells = [['""' if c == "" else c for c in cells[0]]]
    sep = os.linesep  # pandas' default line terminator
    rows = [",".join(names), *(",".join(row) for row in zip(*cells, strict=True))]
    return sep.join(rows) + sep


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """As :func:`to_csv` for a list of records with the same keys in the same order."""
    if not rows:
        return None
    keys = list(rows[0])
    if any(list(r) != keys for r in rows):
        return None
    return to_csv({k: [r[k] for r in rows] for k in keys})
