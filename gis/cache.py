"""On-disk cache of prepared data, keyed by the input file's bytes and the settings that shaped it.

A prepared road network is a handful of numpy arrays. They are stored as one uncompressed ``.npz``
file (no pickles), written atomically, so a second run loads in a fraction of a second. A cache file
that cannot be read back is treated as missing: the caller rebuilds and overwrites it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .files import atomic_path

__all__ = ["CACHE_DIR_NAME", "default_cache_dir", "file_sha256", "cache_key", "cache_file", "load_arrays", "save_arrays"]

#: Folder under the user's cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``).
CACHE_DIR_NAME = "xuequ"
CACHE_SUFFIX = ".npz"
HASH_CHUNK_BYTES = 1 << 20

#: What a damaged or foreign cache file raises when read; all of them mean "rebuild".
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)


def default_cache_dir() -> Path:
    """The cache folder: ``$XDG_CACHE_HOME/xuequ`` when that is an absolute path, else ``~/.cache/xuequ``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / CACHE_DIR_NAME


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(file_hash: str, params: Mapping[str, object]) -> str:
    """Hex key of an input file's hash together with JSON-serialisable settings."""
    text = json.dumps({"file_sha256": file_hash, **params}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def cache_file(cache_dir: str | os.PathLike, key: str, *, prefix: str) -> Path:
    """Path of the cache file for ``key`` in ``cache_dir``."""
    return Path(cache_dir) / f"{prefix}-{key}{CACHE_SUFFIX}"


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or None when the file is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except _UNREADABLE:
        return None


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> Path:
    """Store ``arrays`` at ``path`` atomically (a reader never sees a half-written file)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        np.savez(stream, **arrays)
    return Path(path)
