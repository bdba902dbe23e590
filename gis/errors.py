"""The one exception type for bad input: its message says what is wrong and how to fix it."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Input that cannot be used: a bad file, a bad table or an impossible request.

    The message is meant for a person: it names the file, row or option and the fix.
    The command line prints it on one line and exits non-zero.
    """
