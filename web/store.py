"""The web application's state: one SQLite database, ``DIR/xuequ.sqlite``, with the files under ``DIR``.

Tables: ``studies`` (a county's inputs and what was read from them), ``runs`` (one solve each: its
rules, stage, outcome and plan folder), ``proposals`` (a named plan with a status), ``versions``
(each saved plan of a proposal, with its folder) and ``statuses`` (every change of a proposal's
status). A study has at most one run waiting or running: a partial unique index refuses a second
one in the database itself, so two requests cannot both start one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "Store", "StoreError", "RunBusy", "NameTaken", "DATABASE_NAME", "PROPOSAL_STATUSES", "ACTIVE_RUN_STATES", "RUN_STATES",
    "STUDY_STATES",
]

DATABASE_NAME = "xuequ.sqlite"
#: A study's inputs: being read, read (``summary`` says what), or unusable (``error`` says why).
STUDY_STATES = ("reading", "ready", "failed")
#: A run waits, runs, then ends with a plan, without one (the rules have none) or with an error.
RUN_STATES = ("queued", "running", "done", "infeasible", "failed")
ACTIVE_RUN_STATES = ("queued", "running")
#: A proposal's life (DOMAIN.md): 草案 draft, 征求意见 out for comment, 已采用 adopted.
PROPOSAL_STATUSES = ("draft", "consultation", "adopted")
#: Waiting for another writer's lock before giving up, in seconds.
BUSY_TIMEOUT_S = 30

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('demo', 'upload')),
    coords TEXT NOT NULL,
    inputs TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN {STUDY_STATES}),
    summary TEXT,
    error TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    rules TEXT NOT NULL,
    settings TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN {RUN_STATES}),
    stage TEXT,
    stage_started REAL,
    gap REAL,
    status TEXT,
    message TEXT,
    reasons TEXT,
    smallest_limit REAL,
    folder TEXT,
    created REAL NOT NULL,
    finished REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_active_run_per_study ON runs(study_id) WHERE state IN {ACTIVE_RUN_STATES};
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN {PROPOSAL_STATUSES}),
    adopted_version INTEGER REFERENCES versions(id),
    created REAL NOT NULL,
    UNIQUE (study_id, name)
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    number INTEGER NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    parent_id INTEGER REFERENCES versions(id),
    edits TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    folder TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (proposal_id, number)
);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    status TEXT NOT NULL CHECK (status IN {PROPOSAL_STATUSES}),
    version_id INTEGER REFERENCES versions(id),
    changed REAL NOT NULL
);
"""
#: Columns holding JSON text, decoded when a row is read.
_JSON_COLUMNS = ("inputs", "summary", "rules", "settings", "reasons", "edits")


class StoreError(LookupError):
    """A row that does not exist (a bad id in a link), or a change the data does not allow."""


class RunBusy(StoreError):
    """The study already has a run waiting or running."""


class NameTaken(StoreError):
    """The study already has a proposal of that name."""


def _row(cursor: sqlite3.Cursor, values: tuple) -> dict:
    row = {column[0]: value for column, value in zip(cursor.description, values)}
    for key in _JSON_COLUMNS:
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Store:
    """The database of one data folder; every method opens its own short transaction.

    Folders are kept relative to the data folder (:meth:`path` resolves them), so the folder
    can move.
    """

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database = self.data_dir / DATABASE_NAME
        self._write_lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.database, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.row_factory = _row
        db.execute("PRAGMA foreign_keys=ON")
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _one(self, table: str, row_id: int) -> dict:
        with self._connect() as db:
            row = db.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise StoreError(f"no {table[:-1]} {row_id}")
        return row

    def _all(self, sql: str, *args) -> list[dict]:
        with self._connect() as db:
            return db.execute(sql, args).fetchall()

    def path(self, relative: str) -> Path:
        """A folder or file the database names, under the data folder."""
        return self.data_dir / relative

    # --- studies -----------------------------------------------------------------------------

    def add_study(self, name: str, source: str, coords: str, inputs: dict) -> int:
        """A new study whose inputs are being read; its id."""
        with self._transaction() as db:
            cursor = db.execute("INSERT INTO studies (name, source, coords, inputs, state, created) VALUES (?, ?, ?, ?, 'reading', ?)",
                                (name, source, coords, _json(inputs), time.time()))
            return cursor.lastrowid

    def study_read(self, study_id: int, summary: dict) -> None:
        """The inputs were read: ``summary`` says what was found."""
        with self._transaction() as db:
            db.execute("UPDATE studies SET state = 'ready', summary = ?, error = NULL WHERE id = ?", (_json(summary), study_id))

    def study_failed(self, study_id: int, error: str) -> None:
        """The inputs cannot be used: ``error`` says why and what to do."""
        with self._transaction() as db:
            db.execute("UPDATE studies SET state = 'failed', error = ? WHERE id = ?", (error, study_id))

    def study(self, study_id: int) -> dict:
        return self._one("studies", study_id)

    def studies(self) -> list[dict]:
        return self._all("SELECT * FROM studies ORDER BY id DESC")

    # --- runs --------------------------------------------------------------------------------

    def add_run(self, study_id: int, rules: dict, settings: dict) -> int:
        """A queued run of the study; :class:`RunBusy` when the study has one waiting or running."""
        try:
            with self._transaction() as db:
                cursor = db.execute("INSERT INTO runs (study_id, rules, settings, state, created) VALUES (?, ?, ?, 'queued', ?)",
                                    (study_id, _json(rules), _json(settings), time.time()))
                return cursor.lastrowid
        except sqlite3.IntegrityError:
            raise RunBusy(f"study {study_id} already has a run in progress") from None

    def run_stage(self, run_id: int, stage: str, gap: float | None = None) -> None:
        """The run entered ``stage`` (and the solver's current gap, when known)."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET state = 'running', stage = ?, stage_started = ?, gap = ? WHERE id = ?",
                       (stage, time.time(), gap, run_id))

    def run_gap(self, run_id: int, gap: float) -> None:
        """The solver's current gap."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET gap = ? WHERE id = ?", (gap, run_id))

    def run_done(self, run_id: int, folder: str, status: str, gap: float) -> None:
        """The run found a plan, written in ``folder``."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET state = 'done', folder = ?, status = ?, gap = ?, finished = ? WHERE id = ?",
                       (folder, status, gap, time.time(), run_id))

    def run_infeasible(self, run_id: int, reasons: list[str], smallest_limit: float | None) -> None:
        """No plan keeps the rules: the reasons, and the smallest travel limit that has one."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET state = 'infeasible', reasons = ?, smallest_limit = ?, finished = ? WHERE id = ?",
                       (_json(reasons), smallest_limit, time.time(), run_id))

    def run_failed(self, run_id: int, message: str) -> None:
        """The run stopped: ``message`` says why."""
        with self._transaction() as db:
            db.execute("UPDATE runs SET state = 'failed', message = ?, finished = ? WHERE id = ?", (message, time.time(), run_id))

    def interrupt_active_runs(self, message: str) -> list[int]:
        """Mark the runs a stopped server left waiting or running as failed; their ids."""
        with self._transaction() as db:
            ids = [row["id"] for row in db.execute(f"SELECT id FROM runs WHERE state IN {ACTIVE_RUN_STATES}").fetchall()]
            db.execute(f"UPDATE runs SET state = 'failed', message = ?, finished = ? WHERE state IN {ACTIVE_RUN_STATES}",
                       (message, time.time()))
            db.execute("UPDATE studies SET state = 'failed', error = ? WHERE state = 'reading'", (message,))
        return ids

    def run(self, run_id: int) -> dict:
        return self._one("runs", run_id)

    def runs(self, study_id: int) -> list[dict]:
        return self._all("SELECT * FROM runs WHERE study_id = ? ORDER BY id DESC", study_id)

    # --- proposals and versions --------------------------------------------------------------

    def add_proposal(self, study_id: int, name: str) -> int:
        """A new draft proposal; :class:`StoreError` when the study has one of that name."""
        try:
            with self._transaction() as db:
                cursor = db.execute("INSERT INTO proposals (study_id, name, status, created) VALUES (?, ?, 'draft', ?)",
                                    (study_id, name, time.time()))
                db.execute("INSERT INTO statuses (proposal_id, status, changed) VALUES (?, 'draft', ?)", (cursor.lastrowid, time.time()))
                return cursor.lastrowid
        except sqlite3.IntegrityError:
            raise NameTaken(f"a proposal named '{name}' exists in this study") from None

    def add_version(self, proposal_id: int, folder_of, *, run_id: int | None = None, parent_id: int | None = None,
                    edits: dict | None = None, note: str = "") -> int:
        """The proposal's next version; ``folder_of(version_id)`` names its folder (relative)."""
        with self._transaction() as db:
            number = db.execute("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM versions WHERE proposal_id = ?",
                                (proposal_id,)).fetchone()["n"]
            cursor = db.execute(
                "INSERT INTO versions (proposal_id, number, run_id, parent_id, edits, note, folder, created) VALUES (?, ?, ?, ?, ?, ?, '', ?)",
                (proposal_id, number, run_id, parent_id, _json(edits or {}), note, time.time()))
            version_id = cursor.lastrowid
            db.execute("UPDATE versions SET folder = ? WHERE id = ?", (folder_of(version_id), version_id))
            return version_id

    def remove_version(self, version_id: int) -> None:
        """Take back a version whose files could not be written."""
        with self._transaction() as db:
            db.execute("DELETE FROM versions WHERE id = ?", (version_id,))

    def set_status(self, proposal_id: int, status: str) -> None:
        """Change a proposal's status; adopting it adopts its latest version."""
        if status not in PROPOSAL_STATUSES:
            raise StoreError(f"status must be one of {', '.join(PROPOSAL_STATUSES)}")
        with self._transaction() as db:
            latest = db.execute("SELECT id FROM versions WHERE proposal_id = ? ORDER BY number DESC LIMIT 1",
                                (proposal_id,)).fetchone()
            version_id = latest["id"] if latest else None
            if status == "adopted":
                db.execute("UPDATE proposals SET status = ?, adopted_version = ? WHERE id = ?", (status, version_id, proposal_id))
            else:
                db.execute("UPDATE proposals SET status = ? WHERE id = ?", (status, proposal_id))
            db.execute("INSERT INTO statuses (proposal_id, status, version_id, changed) VALUES (?, ?, ?, ?)",
                       (proposal_id, status, version_id, time.time()))

    def proposal(self, proposal_id: int) -> dict:
        return self._one("proposals", proposal_id)

    def proposals(self, study_id: int) -> list[dict]:
        return self._all(
            "SELECT p.*, (SELECT MAX(number) FROM versions v WHERE v.proposal_id = p.id) AS n_versions, "
            "(SELECT id FROM versions v WHERE v.proposal_id = p.id ORDER BY number DESC LIMIT 1) AS latest_version "
            "FROM proposals p WHERE study_id = ? ORDER BY id", study_id)

    def version(self, version_id: int) -> dict:
        return self._one("versions", version_id)

    def versions(self, proposal_id: int) -> list[dict]:
        return self._all("SELECT * FROM versions WHERE proposal_id = ? ORDER BY number", proposal_id)

    def study_versions(self, study_id: int) -> list[dict]:
        """Every version of the study's proposals, with its proposal's name and status."""
        return self._all(
            "SELECT v.*, p.name AS proposal_name, p.status AS proposal_status FROM versions v "
            "JOIN proposals p ON p.id = v.proposal_id WHERE p.study_id = ? ORDER BY p.id, v.number", study_id)

    def status_history(self, proposal_id: int) -> list[dict]:
        return self._all("SELECT * FROM statuses WHERE proposal_id = ? ORDER BY id", proposal_id)
