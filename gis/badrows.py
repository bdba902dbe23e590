"""Rows of an input table that cannot be used: each with its row number, the problem and the fix.

They are dropped with one :class:`BadRowsWarning` (the first :data:`MAX_LISTED_ROWS` listed, the
full list kept on the warning for :func:`write_bad_rows`), or, with ``strict``, stop the run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import pandas as pd

from .errors import InputError
from .files import write_csv_atomic

__all__ = ["BadRowsWarning", "BadRow", "BadRows", "report_bad_rows", "write_bad_rows", "MAX_LISTED_ROWS", "BAD_ROWS_FILE"]

#: Rows listed in a warning or error; the rest are counted (and written to :data:`BAD_ROWS_FILE`).
MAX_LISTED_ROWS = 10
#: The file beside the plan that lists every dropped row.
BAD_ROWS_FILE = "dropped_rows.csv"


@dataclass(frozen=True)
class BadRow:
    """One unusable row: its spreadsheet row number, what is wrong and how to fix it."""

    row: int
    problem: str
    fix: str
    source: str = ""

    def __str__(self) -> str:
        return f"row {self.row}: {self.problem} ({self.fix})"


class BadRows(tuple):
    """The dropped rows as a table's ``attrs["dropped"]`` keeps them.

    pandas deep-copies ``attrs`` into every frame and row it derives; this immutable tuple is
    shared instead of copied, so a table that dropped thousands of rows stays as fast as any.
    """

    def __deepcopy__(self, memo) -> "BadRows":
        return self


class BadRowsWarning(UserWarning):
    """Some rows of a table were dropped; the message lists the first few, ``rows`` holds them all."""

    def __init__(self, message: str, rows: Sequence[BadRow] = ()):
        super().__init__(message)
        self.rows = tuple(rows)


def report_bad_rows(bad_rows: list[BadRow], *, source: str, strict: bool) -> None:
    """Warn about dropped rows, one line each up to :data:`MAX_LISTED_ROWS`; with ``strict``, raise instead."""
    if not bad_rows:
        return
    rows = [BadRow(b.row, b.problem, b.fix, source) for b in bad_rows]
    if strict:
        raise InputError(f"{source}: {len(rows)} bad row(s), stopping because of --strict:\n  {_listing(rows)}")
    more = f" (all of them in {BAD_ROWS_FILE} with the plan)" if len(rows) > MAX_LISTED_ROWS else ""
    warnings.warn(BadRowsWarning(f"{source}: dropped {len(rows)} bad row(s){more}:\n  {_listing(rows)}", rows), stacklevel=3)


def _listing(rows: list[BadRow]) -> str:
    lines = [str(b) for b in rows[:MAX_LISTED_ROWS]]
    if len(rows) > MAX_LISTED_ROWS:
        lines.append(f"... and {len(rows) - MAX_LISTED_ROWS:,} more")
    return "\n  ".join(lines)


def write_bad_rows(rows: Sequence[BadRow], out_dir: str | os.PathLike) -> Path | None:
    """List ``rows`` in :data:`BAD_ROWS_FILE` in ``out_dir`` (a stale list is removed when there are none)."""
    path = Path(out_dir) / BAD_ROWS_FILE
    if not rows:
        path.unlink(missing_ok=True)
        return None
    columns = [f.name for f in fields(BadRow)]
    frame = pd.DataFrame([astuple(b) for b in rows], columns=columns)[["source", "row", "problem", "fix"]]
    return write_csv_atomic(frame, path)
