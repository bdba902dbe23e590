"""Uploaded files: size-limited, recognised by their content (never by their name), stored under names we choose.

A file a person uploads is copied in chunks into the study's folder, stopping as soon as it grows
past its limit; what it is (OSM XML, bzip2-compressed OSM, OSM PBF; CSV, XLSX, GeoJSON, GeoPackage;
a YAML/JSON rules file) is read from its first bytes, and the stored name is ours
(``roads.osm.pbf``, ``schools.xlsx``). The name the browser sent is only ever shown, escaped.
"""

from __future__ import annotations

import bz2
import codecs
import json
import os
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gis.errors import InputError
from gis.files import atomic_path

__all__ = [
    "UploadError", "UploadKind", "OSM_UPLOAD", "TABLE_UPLOAD", "RULES_UPLOAD", "save_upload", "display_name", "MIB",
]

MIB = 1024 * 1024
#: Bytes read to recognise a file.
HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 1 * MIB
#: Characters of an uploaded file name kept for display.
DISPLAY_NAME_CHARS = 120
SQLITE_MAGIC = b"SQLite format 3\x00"
#: A GeoPackage's SQLite ``application_id`` (header offset 68): "GPKG", or "GP10"/"GP11" in old ones.
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
GPKG_ID_OFFSET = 68
ZIP_MAGIC = b"PK\x03\x04"
BZIP2_MAGIC = b"BZh"
#: Compressed bytes read, at most, to reach the first bzip2 block's content (a block is at most 900 kB).
BZIP2_PROBE_BYTES = 4 * MIB
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and .doc)
PBF_HEADER_TYPE = b"OSMHeader"
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


class UploadError(InputError):
    """An uploaded file that cannot be used: too large, empty, or not what it should be."""


@dataclass(frozen=True)
class UploadKind:
    """What an upload field takes: its limit, what it is called, and how its content is recognised."""

    field: str
    what: str
    max_bytes: int
    expected: str

    def recognise(self, head: bytes, path: Path) -> str:
        """The suffix to store the file under, from its first bytes (and, for zip and SQLite, the whole file)."""
        return _RECOGNISERS[self.field](head, path, self)


#: The three uploads and their limits (issue 17: OSM up to 500 MB, the school table up to 20 MB).
OSM_UPLOAD = UploadKind("osm", "OSM file", 500 * MIB, ".osm (XML), .osm.bz2 or .osm.pbf")
TABLE_UPLOAD = UploadKind("schools", "school table", 20 * MIB, "CSV, XLSX, GeoJSON or GeoPackage")
RULES_UPLOAD = UploadKind("rules", "rules file", 1 * MIB, "a YAML or JSON rules file")


def display_name(name: str | None) -> str:
    """An uploaded file's name as shown to a person: its last part, without control characters, shortened."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable())
    return cleaned[:DISPLAY_NAME_CHARS] or "(unnamed)"


def save_upload(source: BinaryIO, kind: UploadKind, folder: Path, stem: str, *, shown_as: str) -> Path:
    """Copy an upload into ``folder`` as ``stem`` + the suffix its content calls for; the path.

    Raises
    ------
    UploadError
        When the file is empty, larger than ``kind.max_bytes``, or not a file of ``kind``; nothing
        is left behind then.
    """
    folder.mkdir(parents=True, exist_ok=True)
    received = folder / f"{stem}.upload"
    with atomic_path(received) as tmp:
        size = _copy_limited(source, tmp, kind, shown_as)
        if size == 0:
            raise UploadError(f"{shown_as}: the {kind.what} is empty; choose the file again")
        with tmp.open("rb") as file:
            head = file.read(HEAD_BYTES)
        suffix = kind.recognise(head, tmp)
    target = folder / f"{stem}{suffix}"
    os.replace(received, target)
    return target


def _copy_limited(source: BinaryIO, target: Path, kind: UploadKind, shown_as: str) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            size += len(chunk)
            if size > kind.max_bytes:
                raise UploadError(f"{shown_as}: the {kind.what} is larger than {kind.max_bytes // MIB} MB; "
                                  f"upload a smaller extract (clip it to the county)")
            out.write(chunk)
    return size


def _not(kind: UploadKind, shown_as_what: str) -> UploadError:
    return UploadError(f"the {kind.what} is {shown_as_what}, not {kind.expected}; choose the right file")


def _osm(head: bytes, path: Path, kind: UploadKind) -> str:
    if head.startswith(BZIP2_MAGIC):
        if _is_osm_xml(_bz2_head(path, kind)):
            return ".osm.bz2"
        raise _not(kind, "a bzip2 file without OSM XML inside")
    if _is_osm_pbf(head):
        return ".osm.pbf"
    if _is_osm_xml(head):
        return ".osm"
    raise _not(kind, _describe(head))


def _bz2_head(path: Path, kind: UploadKind) -> bytes:
    """The first bytes inside a bzip2 file (a block comes out whole: up to :data:`BZIP2_PROBE_BYTES` are read)."""
    decompressor = bz2.BZ2Decompressor()
    inner = b""
    with path.open("rb") as file:
        for _ in range(BZIP2_PROBE_BYTES // CHUNK_BYTES):
            chunk = file.read(CHUNK_BYTES)
            try:
                inner += decompressor.decompress(chunk, max_length=HEAD_BYTES)
            except (OSError, EOFError):
                raise _not(kind, "a damaged bzip2 file") from None
            if inner or not chunk or decompressor.eof:
                break
    return inner


def _is_osm_xml(head: bytes) -> bool:
    text = head[:HEAD_BYTES].lstrip(codecs.BOM_UTF8).lstrip()
    return (text.startswith(b"<?xml") or text.startswith(b"<osm")) and b"<osm" in text


def _is_osm_pbf(head: bytes) -> bool:
    """A PBF file starts with the length of its first BlobHeader, whose ``type`` (field 1) is "OSMHeader"."""
    if len(head) < 6 + len(PBF_HEADER_TYPE):
        return False
    header_length = int.from_bytes(head[:4], "big")
    return 0 < header_length < HEAD_BYTES and head[4] == 0x0A and head[5] == len(PBF_HEADER_TYPE) \
        and head[6:6 + len(PBF_HEADER_TYPE)] == PBF_HEADER_TYPE


def _table(head: bytes, path: Path, kind: UploadKind) -> str:
    if head.startswith(ZIP_MAGIC):
        return _xlsx(path, kind)
    if head.startswith(SQLITE_MAGIC):
        return _gpkg(path, kind)
    if head.startswith(OLE2_MAGIC):
        raise _not(kind, "an old Excel (.xls) or Office file; save it as .xlsx")
    text = _text(head)
    if text is None:
        raise _not(kind, _describe(head))
    if text.lstrip().startswith("{"):
        if '"type"' in text and "Feature" in text:
            return ".geojson"
        raise _not(kind, "JSON that is not GeoJSON")
    if "\n" not in text and len(head) == HEAD_BYTES:
        raise _not(kind, "text without lines")
    return ".csv"


def _xlsx(path: Path, kind: UploadKind) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise _not(kind, "a damaged zip file") from None
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return ".xlsx"
    raise _not(kind, "a zip file that is not an Excel workbook")


def _gpkg(path: Path, kind: UploadKind) -> str:
    with path.open("rb") as file:
        file.seek(GPKG_ID_OFFSET)
        application_id = file.read(4)
    if application_id not in GPKG_APPLICATION_IDS:
        raise _not(kind, "an SQLite database that is not a GeoPackage")
    try:  # read-only, by URI: the file is only inspected
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            db.execute("SELECT count(*) FROM gpkg_contents").fetchone()
    except sqlite3.DatabaseError:
        raise _not(kind, "a damaged GeoPackage") from None
    return ".gpkg"


def _rules(head: bytes, path: Path, kind: UploadKind) -> str:
    text = _text(head)
    if text is None:
        raise _not(kind, _describe(head))
    try:
        json.loads(text)
        return ".json"
    except ValueError:
        return ".yaml"  # read and checked by partition.rulesfile.read_rules_file


def _text(head: bytes) -> str | None:
    """``head`` as text when it is text (no NUL bytes; UTF-8 or GB18030), else None."""
    if b"\x00" in head:
        return None
    for encoding in TEXT_ENCODINGS:
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # a character cut at the end of the head
                return head[:exc.start].decode(encoding)
    return None


def _describe(head: bytes) -> str:
    """What a file looks like, for a message."""
    if head.startswith(ZIP_MAGIC):
        return "a zip file"
    if head.startswith(SQLITE_MAGIC):
        return "an SQLite database"
    for magic, what in ((b"%PDF", "a PDF"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"\x1f\x8b", "a gzip file")):
        if head.startswith(magic):
            return what
    return "text of another kind" if _text(head) is not None else "a binary file"


_RECOGNISERS = {"osm": _osm, "schools": _table, "rules": _rules}
