"""Atomic file output: a reader never sees a half-written file, a failed run leaves none.

Files are written beside their target and renamed into place; an output folder is filled in a
hidden staging folder beside it and its files moved in at the end. Everything half-written is
tracked, so an interrupted run can remove it (:func:`discard_partial_output`), and staging folders
an earlier run left behind (killed before it could clean up) are cleared by the next one.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import InputError

__all__ = [
    "atomic_path",
    "write_bytes_atomic",
    "write_text_atomic",
    "write_csv_atomic",
    "neutralise_formulas",
    "staged_output_dir",
    "prepare_output_dir",
    "discard_partial_output",
    "FORMULA_PREFIXES",
]


_DEFAULT_FILE_MODE = 0o666  # what open() would give a new file, before the umask
#: A staging folder is ``.<out name>.xuequ-<pid>-<random>`` beside the output folder; the pid tells
#: a later run whether the run that made it is still alive.
_STAGE_MARK = ".xuequ-"
_STAGE_PATTERN = re.compile(re.escape(_STAGE_MARK) + r"(\d+)-[^/]+$")
#: Bytes of the output folder's name kept in its staging folder's name (file names have a length limit).
_STAGE_NAME_BYTES = 64
#: First characters that make a spreadsheet cell a formula (OWASP CSV injection), tab and CR included.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_partial: set[Path] = set()  # this process's staging folders and temporary files
_partial_lock = threading.RLock()  # held while they change and while a staging folder's files move in


@contextmanager
def _tracked(path: Path) -> Iterator[Path]:
    with _partial_lock:
        _partial.add(path)
    try:
        yield path
    finally:
        with _partial_lock:
            _partial.discard(path)


def discard_partial_output() -> None:
    """Remove every staging folder and temporary file this process is writing (on an interrupt).

    Waits for a staging folder whose files are being moved into place, so an output folder is
    never left half replaced.
    """
    with _partial_lock:
        for path in list(_partial):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        _partial.clear()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    ``suffix`` ends the temporary name, for writers that read the format from it (GeoPackage).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    with _tracked(Path(tmp)) as tmp_path:
        tmp_path.chmod(_DEFAULT_FILE_MODE & ~_current_umask())
        try:
            yield tmp_path
            os.replace(tmp_path, target)
        finally:
            tmp_path.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    return write_bytes_atomic(path, text.encode(encoding))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with one of :data:`FORMULA_PREFIXES` gets a leading apostrophe, which
    Excel and LibreOffice read as "this is text" (OWASP's advice against CSV injection). Numbers
    are left alone, so a negative number stays a number.
    """
    frame = pd.DataFrame(frame).copy()
    for column in frame.columns:
        if frame[column].dtype == object or isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].map(_neutralised)
    return frame


def _neutralised(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def write_csv_atomic(frame: pd.DataFrame, path: str | os.PathLike, *, float_format: str | None = None) -> Path:
    """Write ``frame`` as CSV for spreadsheets: UTF-8 with BOM (Excel reads the Chinese), formulas neutralised."""
    buffer = io.StringIO()
    neutralise_formulas(frame).to_csv(buffer, index=False, lineterminator="\n", float_format=float_format)
    return write_text_atomic(path, buffer.getvalue(), encoding="utf-8-sig")


def _stage_prefix(target: Path) -> str:
    name = target.name.encode()[:_STAGE_NAME_BYTES].decode(errors="ignore")
    return f".{name}{_STAGE_MARK}{os.getpid()}-"


@contextmanager
def staged_output_dir(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder; on success move its files into ``out_dir``.

    Each file lands with an atomic rename, and nothing lands if the block raises, so an
    impossible request never leaves partial output behind.
    """
    target = Path(os.path.abspath(out_dir))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=_stage_prefix(target), dir=target.parent))
    stage.chmod(0o777 & ~_current_umask())
    with _tracked(stage):
        try:
            yield stage
            with _partial_lock:
                target.mkdir(parents=True, exist_ok=True)
                for item in sorted(stage.iterdir()):
                    os.replace(item, target / item.name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def prepare_output_dir(out_dir: str | os.PathLike, *, overwrite: bool, is_ours: Callable[[Path], bool]) -> Path:
    """Check, before any work, that ``out_dir`` can receive a run's files; clear stale staging folders.

    Raises :class:`InputError` naming the path when a name is too long, the path is (or lies under)
    a file, the folder cannot be written, or it holds files of its own (``is_ours(folder)`` is
    false) and ``overwrite`` is not set. Staging folders that a dead run left beside it are removed.
    """
    target = Path(out_dir)
    _check_name_lengths(target)
    absolute = Path(os.path.abspath(target))
    existing = next(p for p in (absolute, *absolute.parents) if os.path.lexists(p))
    if not os.path.isdir(existing):
        where = "is a file" if existing == absolute else f"lies under {existing}, which is a file"
        raise InputError(f"--out {target}: {where}; give a folder")
    _check_writable(absolute, existing)
    if existing == absolute and any(absolute.iterdir()) and not overwrite and not is_ours(absolute):
        raise InputError(f"--out {target}: the folder holds files this tool did not write; "
                         "choose a new or empty folder, or pass --overwrite to write the plan files among them")
    _clear_stale_stages(absolute)
    return target


def _check_name_lengths(target: Path) -> None:
    limit = os.pathconf("/", "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    for part in target.parts:
        if len(part.encode()) > limit:
            raise InputError(f"--out {target}: the name '{part[:40]}...' is {len(part.encode())} bytes long, "
                             f"more than the {limit} a file name may have; choose a shorter name")


def _check_writable(target: Path, existing: Path) -> None:
    """Make and remove a staging folder where the real one will go (or in the nearest existing folder)."""
    probe_dir = target.parent if os.path.isdir(target.parent) else existing
    try:
        Path(tempfile.mkdtemp(prefix=_stage_prefix(target), dir=probe_dir)).rmdir()
    except OSError as exc:
        raise InputError(f"--out {target}: cannot write in {probe_dir} ({exc.strerror}); choose another folder") from None
    if existing == target and not os.access(target, os.W_OK | os.X_OK):
        raise InputError(f"--out {target}: the folder is not writable; choose another folder")


def _clear_stale_stages(target: Path) -> None:
    """Remove the staging folders of ``target`` left by runs that are no longer alive."""
    if not target.parent.is_dir():
        return
    prefix = "." + target.name.encode()[:_STAGE_NAME_BYTES].decode(errors="ignore")
    for entry in target.parent.iterdir():
        match = _STAGE_PATTERN.fullmatch(entry.name[len(prefix):]) if entry.name.startswith(prefix) else None
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True
