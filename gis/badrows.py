"""Rows of an input table that cannot be used: each with its row number, the problem and the fix.

They are dropped with one :class:`BadRowsWarning` listing every row, or, with ``strict``, stop the run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from .errors import InputError

__all__ = ["BadRowsWarning", "BadRow", "report_bad_rows"]


class BadRowsWarning(UserWarning):
    """Some rows of a school table were dropped; the message lists each."""


@dataclass(frozen=True)
class BadRow:
    """One unusable row: its spreadsheet row number, what is wrong and how to fix it."""

    row: int
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.problem} ({self.fix})"


def report_bad_rows(bad_rows: list[BadRow], *, source: str, strict: bool) -> None:
    """Warn about dropped rows, one line each; with ``strict``, raise instead."""
    if not bad_rows:
        return
    listing = "\n  ".join(str(b) for b in bad_rows)
    if strict:
        raise InputError(f"{source}: {len(bad_rows)} bad row(s), stopping because of --strict:\n  {listing}")
    warnings.warn(f"{source}: dropped {len(bad_rows)} bad row(s):\n  {listing}", BadRowsWarning, stacklevel=3)
