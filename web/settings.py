"""Where the web application listens and keeps its data, unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "default_data_dir"]

#: Only this machine can reach the application unless ``--host`` says otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/xuequ`` (by default ``~/.local/share/xuequ``): the database and the studies' files."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "xuequ"
