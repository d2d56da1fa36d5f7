"""The database engine the project uses, and the one way to run a transaction.

SQLite (the embedded default): Piccolo's stock `SQLiteEngine` opens a fresh aiosqlite
connection, and so a thread, for every statement outside a transaction. `CityBrainSQLiteEngine`
keeps one writer connection, held for a whole write transaction at a time (``BEGIN IMMEDIATE``,
so a read-then-write never deadlocks on a lock upgrade), and a few `query_only` reader
connections; WAL, a busy timeout and foreign keys are set once per connection.

PostgreSQL: Piccolo's engine with a connection pool, opened at start-up.

`atomic()` is the only way domain code opens a transaction; `after_commit()` registers work
(enqueueing a job, publishing an event) that must run only once the transaction committed.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from string import Formatter
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)
from piccolo.querystring import QueryString

from app.settings import Settings, get_settings

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")
SqlRunner = Callable[..., list[dict[str, Any]]]  # run(template, *args) -> rows
WAL_CHECKPOINT_PAGES = 10_000


class _WriterTransaction(SQLiteTransaction):
    """A transaction on the engine's single writer connection, holding its lock throughout."""

    engine: CityBrainSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.engine.check_loop()
        await self.engine.writer_lock.acquire()
        try:
            self.connection = await self.engine.writer_connection()
            await self.connection.execute(f"BEGIN {self.transaction_type.value}")
        except BaseException:
            self.engine.writer_lock.release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()  # type: ignore[no-untyped-call]
                except BaseException:
                    await self.connection.execute("ROLLBACK")
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            self.engine.writer_lock.release()
        return exception is None


class CityBrainSQLiteEngine(SQLiteEngine):
    """SQLite with persistent connections: one writer (serialised) and a small reader pool."""

    def __init__(self, path: str, readers: int = 3) -> None:
        super().__init__(path=path, timeout=BUSY_TIMEOUT_MS / 1000)
        self.reader_count = max(1, readers)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.writer_lock = asyncio.Lock()
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._opened_readers = 0
        self._open_lock = asyncio.Lock()
        self._inline: sqlite3.Connection | None = None

    async def _open(self, *, query_only: bool) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # Daemon threads: a process that ends without closing the engine (Piccolo's own CLI,
        # a script) must still exit. The app closes it at shutdown; SQLite's journal keeps the
        # file whole either way. aiosqlite keeps its thread in `_thread`.
        thread = getattr(pending, "_thread", None)
        if isinstance(thread, threading.Thread):
            thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute("PRAGMA foreign_keys = 1")
        if query_only:
            await connection.execute("PRAGMA query_only = 1")
        return connection

    def check_loop(self) -> None:
        """The locks and queues here belong to one event loop; a second loop would lose
        wake-ups and hang. Fail loudly instead (tests: run DB code on the app's loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(
                "CityBrainSQLiteEngine used from a second event loop; in tests, run database "
                "code on the app's loop (tests/app/portal.py: in_app)"
            )

    async def writer_connection(self) -> aiosqlite.Connection:
        if self._writer is None:
            async with self._open_lock:
                if self._writer is None:
                    writer = await self._open(query_only=False)
                    # Checkpoint every ~40 MB of WAL instead of ~4 MB: an index page that
                    # many commits rewrite is copied back to the database once per
                    # checkpoint, so fewer checkpoints mean far fewer writes (and fsyncs)
                    # under a steady stream of small commits such as the scan log's.
                    await writer.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                    self._writer = writer
        return self._writer

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        self.check_loop()
        if self._readers is None:
            self._readers = asyncio.Queue()
        if self._readers.empty() and self._opened_readers < self.reader_count:
            self._opened_readers += 1
            try:
                self._readers.put_nowait(await self._open(query_only=True))
            except BaseException:
                self._opened_readers -= 1
                raise
        connection = await self._readers.get()
        try:
            yield connection
        finally:
            self._readers.put_nowait(connection)

    def read_inline(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Run a point read on the event loop's own thread, on a `query_only` connection.

        A hop to a reader thread costs more CPU (two thread switches, a GIL hand-off, a
        wake-up of the loop) than an indexed look-up of a few rows does in SQLite, and in WAL
        mode a reader never waits for the writer. Only for reads that touch a handful of rows
        through an index: anything longer would stall every request on the loop."""
        self.check_loop()
        if self._inline is None:
            self._inline = self._open_inline()
        rows: list[dict[str, Any]] = self._inline.execute(_qmarks(sql, len(args)), args).fetchall()
        return rows

    def _open_inline(self) -> sqlite3.Connection:
        # The loop's thread only, but opened wherever the engine was first used.
        kwargs = {**self.connection_kwargs, "check_same_thread": False}
        connection: sqlite3.Connection = sqlite3.connect(**kwargs)
        connection.row_factory = dict_factory
        connection.execute("PRAGMA busy_timeout = 200")  # WAL readers wait only on recovery
        connection.execute("PRAGMA query_only = 1")
        return connection

    async def run_in_writer(self, work: Callable[[SqlRunner], T], *, transaction: bool = True) -> T:
        """`work(run)` in one transaction on the writer's own thread: one hop for several
        statements and the Python between them (the scan log's claim, then its insert).
        `run(template, *args)` executes a `{}` template and returns its rows."""
        self.check_loop()
        async with self.writer_lock:
            connection = await self.writer_connection()

            def in_thread() -> T:
                # aiosqlite runs this on the connection's thread, where `_conn` may be used.
                raw: sqlite3.Connection = connection._conn

                def run(template: str, *args: Any) -> list[dict[str, Any]]:
                    rows: list[dict[str, Any]] = raw.execute(
                        _qmarks(template, len(args)), args
                    ).fetchall()
                    return rows

                if not transaction:
                    return work(run)  # each statement commits on its own
                raw.execute("BEGIN IMMEDIATE")
                try:
                    result = work(run)
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
                return result

            on_thread = cast(Callable[[Callable[[], T]], Awaitable[T]], connection._execute)
            return await on_thread(in_thread)

    async def run_sql(self, template: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """`run_querystring` for a `{}` template with plain arguments (see `_qmarks`)."""
        sql = _qmarks(template, len(args))
        transaction = self.current_transaction.get()
        if transaction is not None:
            return await self._run_in_existing_connection(transaction.connection, sql, list(args))
        return await self._run_in_new_connection(sql, list(args))

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._readers is not None:
            while not self._readers.empty():
                await self._readers.get_nowait().close()
            self._readers = None
            self._opened_readers = 0
        self._loop = None
        self.writer_lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    # Piccolo calls these ------------------------------------------------------------------

    async def get_connection(self) -> aiosqlite.Connection:
        # Only Piccolo's batch() asks for a bare connection; give it a private one.
        return await self._open(query_only=True)

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        # One hop to the connection's thread instead of three (execute, fetch, close).
        return list(await connection.execute_fetchall(query, args or []))  # type: ignore[arg-type]

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        if query_type in {"select", "count", "exists", "objects"} or _is_read(query):
            async with self.reader() as connection:
                return await self._run_in_existing_connection(connection, query, args)
        self.check_loop()
        async with self.writer_lock:
            connection = await self.writer_connection()
            return await self._run_in_existing_connection(connection, query, args)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _WriterTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


_compiled: dict[tuple[str, int, bool], str] = {}


def _qmarks(template: str, count: int, postgres: bool = False) -> str:
    """A `{}` template (Piccolo's) with `count` plain arguments as SQLite SQL, compiled once.

    The same reading as Piccolo's `QueryString` (`Formatter` fragments; `{{` is a brace),
    without building and bundling one for every statement: for a group-committed insert of
    a few hundred values that was most of the statement's cost on the event loop."""
    key = (template, count, postgres)
    compiled = _compiled.get(key)
    if compiled is None:
        prefixes = [literal for literal, *_ in Formatter().parse(template)]
        marks = [f"${n}" if postgres else "?" for n in range(1, count + 1)]
        compiled = "".join(p + (marks[i] if i < count else "") for i, p in enumerate(prefixes))
        if len(_compiled) < 4096:
            _compiled[key] = compiled
    return compiled


def _is_read(query: str) -> bool:
    head = query.lstrip()[:10].upper()
    return head.startswith("SELECT") or (head.startswith("WITH") and "RETURNING" not in query)


# ------------------------------------------------------------------------------------------


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.uses_postgres:
        url = urlparse(settings.database_url)
        config = {
            "host": url.hostname or "localhost",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password or "",
            "database": url.path.lstrip("/") or "postgres",
        }
        return PostgresEngine(config=config)
    if settings.database_url.startswith("sqlite:///"):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
    else:
        path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return CityBrainSQLiteEngine(str(path), readers=settings.sqlite_readers)


_engine: Engine[Any] | None = None
_engine_override: contextvars.ContextVar[Engine[Any] | None] = contextvars.ContextVar(
    "citybrain_engine_override", default=None
)


def get_engine() -> Engine[Any]:
    override = _engine_override.get()
    if override is not None:
        return override
    global _engine
    if _engine is None:
        _engine = build_engine(get_settings())
    return _engine


@contextmanager
def using_engine(engine: Engine[Any]) -> Iterator[None]:
    """Run this block, and the tasks it starts, against `engine` instead of the configured one
    (tests and benchmarks); other tasks and threads keep the configured engine."""
    token = _engine_override.set(engine)
    try:
        yield
    finally:
        _engine_override.reset(token)


def is_postgres() -> bool:
    return get_engine().engine_type == "postgres"


async def open_engine() -> None:
    """Open the PostgreSQL pool (on the running loop: asyncpg pools belong to one loop)."""
    engine = get_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=2, max_size=20, reset=_release)


async def _release(connection: Any) -> None:
    """What a connection needs before it goes back to the pool. asyncpg's default reset is a
    round trip on every release (`RESET ALL`, `UNLISTEN *`, advisory unlocks...): a third of
    a point read's time on a gate scan. We set no session state, listen on no channel and
    take no advisory locks, so only an open transaction (an error path) needs ending."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def close_engine() -> None:
    """Close what `open_engine` opened; harmless when nothing is open (Piccolo would warn)."""
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, CityBrainSQLiteEngine):
        await engine.close()


# Transactions ------------------------------------------------------------------------------

AfterCommit = Callable[[], Awaitable[None]]
_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "citybrain_after_commit", default=None
)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A write transaction; nested calls join the outer one. Runs after-commit hooks."""
    if _after_commit.get() is not None:
        yield
        return
    hooks: list[AfterCommit] = []
    token = _after_commit.set(hooks)
    try:
        async with get_engine().transaction():
            yield
    finally:
        _after_commit.reset(token)
    for hook in hooks:
        await hook()


def after_commit(hook: AfterCommit) -> None:
    """Run `hook` once the current transaction commits (at once when there is none)."""
    pending = _after_commit.get()
    if pending is None:
        raise RuntimeError("after_commit() outside atomic(): open a transaction first")
    pending.append(hook)


def in_transaction() -> bool:
    return _after_commit.get() is not None


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL with `{}` placeholders (Piccolo's), on the right connection."""
    engine = get_engine()
    if isinstance(engine, CityBrainSQLiteEngine) and not any(
        isinstance(arg, QueryString) for arg in args
    ):
        return await engine.run_sql(sql, args)
    if isinstance(engine, PostgresEngine) and not any(isinstance(a, QueryString) for a in args):
        connection = _pg_connection(engine)
        if connection is not None:
            result = await connection.fetch(_pg_sql(sql, len(args)), *args)
        elif engine.pool is not None:
            async with engine.pool.acquire() as pooled:
                result = await pooled.fetch(_pg_sql(sql, len(args)), *args)
        else:  # no pool (a command before start-up): Piccolo opens a connection
            result = await engine.run_querystring(QueryString(sql, *args))
    else:
        result = await engine.run_querystring(QueryString(sql, *args))
    # Plain dicts on both engines: asyncpg's Records are read-only.
    return [dict(row) for row in result or []]


def _pg_sql(template: str, count: int) -> str:
    """The same template as PostgreSQL SQL (`$1, $2, …`): Piccolo's `QueryString` builds and
    compiles a tree on every call, a tenth of a scan's point read on PostgreSQL."""
    return _qmarks(template, count, postgres=True)


def _pg_connection(engine: PostgresEngine) -> Any:
    """The connection of the transaction this task is in, if any (Piccolo's, as it uses)."""
    transaction = engine.current_transaction.get()
    return transaction.connection if transaction else None


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetch_point(sql: str, *args: Any) -> dict[str, Any] | None:
    """`fetch_one` for an indexed look-up of a few rows on a hot path (a gate scan, a token's
    login): on SQLite outside a transaction it runs inline on the loop (`read_inline`)."""
    engine = get_engine()
    if isinstance(engine, CityBrainSQLiteEngine) and not in_transaction():
        rows = engine.read_inline(sql, args)
        return rows[0] if rows else None
    return await fetch_one(sql, *args)
