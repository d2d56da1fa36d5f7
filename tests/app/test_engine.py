"""`CityBrainSQLiteEngine` and `atomic()`: serialised writers, persistent connections, WAL.

Each test opens its own engine on a temporary file, so that these run on both CI passes (the
suite's own database may be PostgreSQL); `using_engine` points `atomic()`/`fetch()` at it for
the test's own tasks only.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar, get, post
from piccolo.columns import Integer, Varchar
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from app.database import (
    WAL_CHECKPOINT_PAGES,
    CityBrainSQLiteEngine,
    _qmarks,
    after_commit,
    atomic,
    build_engine,
    fetch,
    fetch_one,
    fetch_point,
    in_transaction,
    using_engine,
)
from app.settings import Settings
from tests.app.portal import concurrently
from tests.helpers import Api, new_phone


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[CityBrainSQLiteEngine]:
    engine = CityBrainSQLiteEngine(str(tmp_path / "engine.sqlite3"), readers=3)
    await engine.run_ddl("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    await engine.run_ddl("INSERT INTO counter (id, n) VALUES (1, 0)")
    yield engine
    await engine.close()


async def run(engine: CityBrainSQLiteEngine, sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await engine.run_querystring(QueryString(sql, *args)) or [])


async def counter(engine: CityBrainSQLiteEngine) -> int:
    return int((await run(engine, "SELECT n FROM counter WHERE id = 1"))[0]["n"])


class Overlap:
    """Counts how many blocks are inside at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0

    def enter(self) -> None:
        self.inside += 1
        self.peak = max(self.peak, self.inside)

    def leave(self) -> None:
        self.inside -= 1


class TestTransactions:
    async def test_concurrent_read_then_increment_is_exact(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        overlap = Overlap()

        async def increment() -> None:
            async with engine.transaction():
                overlap.enter()
                n = (await run(engine, "SELECT n FROM counter WHERE id = 1"))[0]["n"]
                await asyncio.sleep(0)  # invite another task in
                await run(engine, "UPDATE counter SET n = {} WHERE id = 1", n + 1)
                overlap.leave()

        await asyncio.gather(*(increment() for _ in range(50)))
        assert await counter(engine) == 50
        assert overlap.peak == 1

    async def test_fifty_concurrent_atomic_blocks(self, engine: CityBrainSQLiteEngine) -> None:
        overlap = Overlap()

        async def increment() -> None:
            async with atomic():
                overlap.enter()
                row = await fetch_one("SELECT n FROM counter WHERE id = 1")
                assert row is not None
                await asyncio.sleep(0)
                await fetch("UPDATE counter SET n = {} WHERE id = 1", row["n"] + 1)
                overlap.leave()

        with using_engine(engine):
            await asyncio.gather(*(increment() for _ in range(50)))
        assert await counter(engine) == 50
        assert overlap.peak == 1

    async def test_readers_see_committed_data_only(self, engine: CityBrainSQLiteEngine) -> None:
        written, release = asyncio.Event(), asyncio.Event()

        async def writer() -> None:
            async with engine.transaction():
                await run(engine, "UPDATE counter SET n = 7 WHERE id = 1")
                written.set()
                await release.wait()

        task = asyncio.create_task(writer())
        await written.wait()
        assert await counter(engine) == 0  # a reader, while the write is uncommitted
        release.set()
        await task
        assert await counter(engine) == 7

    async def test_an_error_rolls_back_and_frees_the_writer(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        with pytest.raises(RuntimeError, match="boom"):
            async with engine.transaction():
                await run(engine, "UPDATE counter SET n = 99 WHERE id = 1")
                raise RuntimeError("boom")
        assert await counter(engine) == 0
        assert not engine.writer_lock.locked()
        async with engine.transaction():
            await run(engine, "UPDATE counter SET n = 1 WHERE id = 1")
        assert await counter(engine) == 1

    async def test_a_cancelled_transaction_rolls_back_and_frees_the_writer(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        started = asyncio.Event()

        async def stuck() -> None:
            async with engine.transaction():
                await run(engine, "UPDATE counter SET n = 5 WHERE id = 1")
                started.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(stuck())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not engine.writer_lock.locked()
        assert await counter(engine) == 0
        async with engine.transaction():
            await run(engine, "UPDATE counter SET n = 2 WHERE id = 1")
        assert await counter(engine) == 2

    async def test_writes_outside_a_transaction_are_committed(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        rows = await run(engine, "UPDATE counter SET n = n + 3 WHERE id = 1 RETURNING n")
        assert rows == [{"n": 3}]
        assert await counter(engine) == 3

    async def test_writes_outside_a_transaction_wait_for_the_writer(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        async def in_transaction_add(k: int) -> None:
            async with engine.transaction():
                n = await counter_in_tx(engine)
                await asyncio.sleep(0)
                await run(engine, "UPDATE counter SET n = {} WHERE id = 1", n + k)

        await asyncio.gather(
            *(in_transaction_add(10) for _ in range(10)),
            *(run(engine, "UPDATE counter SET n = n + 1 WHERE id = 1") for _ in range(10)),
        )
        assert await counter(engine) == 110


async def counter_in_tx(engine: CityBrainSQLiteEngine) -> int:
    return int((await run(engine, "SELECT n FROM counter WHERE id = 1"))[0]["n"])


class TestAtomic:
    async def test_nested_blocks_join_the_outer_transaction(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        with using_engine(engine), pytest.raises(RuntimeError):
            async with atomic():
                async with atomic():
                    await fetch("UPDATE counter SET n = 42 WHERE id = 1")
                assert in_transaction()
                raise RuntimeError("the outer block fails after the inner one finished")
        assert await counter(engine) == 0
        assert not in_transaction()

    async def test_after_commit_hooks_run_only_after_a_commit(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        seen: list[int] = []

        def hook(label: int) -> Callable[[], Awaitable[None]]:
            async def record() -> None:
                seen.append(label)
                assert not in_transaction()
                assert await counter(engine) == 1  # the change is visible to readers

            return record

        with using_engine(engine):
            async with atomic():
                await fetch("UPDATE counter SET n = 1 WHERE id = 1")
                after_commit(hook(1))
                async with atomic():
                    after_commit(hook(2))
                assert seen == []
            assert seen == [1, 2]
            with pytest.raises(RuntimeError):
                async with atomic():
                    after_commit(hook(3))
                    raise RuntimeError("rolled back")
        assert seen == [1, 2]

    async def test_after_commit_outside_a_transaction_is_a_bug(self) -> None:
        async def hook() -> None:
            return None

        with pytest.raises(RuntimeError, match="outside atomic"):
            after_commit(hook)


class TestConnections:
    async def test_pragmas_on_every_connection(self, engine: CityBrainSQLiteEngine) -> None:
        async def pragmas(connection: Any) -> dict[str, Any]:
            values = {}
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "query_only"):
                async with connection.execute(f"PRAGMA {name}") as cursor:
                    row = await cursor.fetchone()
                    values[name] = next(iter(row.values()))
            return values

        writer = await pragmas(await engine.writer_connection())
        assert writer == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "query_only": 0,
        }
        async with engine.reader() as connection:
            reader = await pragmas(connection)
        assert reader == {**writer, "query_only": 1}
        async with connection.execute("PRAGMA wal_autocheckpoint") as cursor:
            assert next(iter((await cursor.fetchone()).values())) == 1000  # SQLite's default
        writer_connection = await engine.writer_connection()
        async with writer_connection.execute("PRAGMA wal_autocheckpoint") as cursor:
            assert next(iter((await cursor.fetchone()).values())) == WAL_CHECKPOINT_PAGES

    async def test_foreign_keys_are_enforced(self, engine: CityBrainSQLiteEngine) -> None:
        await engine.run_ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        await engine.run_ddl(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL "
            "REFERENCES parent (id))"
        )
        with pytest.raises(sqlite3.IntegrityError):
            async with engine.transaction():
                await run(engine, "INSERT INTO child (id, parent) VALUES (1, 404)")
        assert not engine.writer_lock.locked()

    async def test_readers_cannot_write(self, engine: CityBrainSQLiteEngine) -> None:
        async with engine.reader() as connection:
            with pytest.raises(sqlite3.OperationalError):
                await connection.execute("UPDATE counter SET n = 1")

    async def test_no_connection_per_query(
        self, engine: CityBrainSQLiteEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        opened: list[bool] = []
        original = engine._open

        async def counting_open(*, query_only: bool) -> Any:
            opened.append(query_only)
            return await original(query_only=query_only)

        monkeypatch.setattr(engine, "_open", counting_open)
        await engine.close()

        async def add() -> None:
            async with engine.transaction():
                await run(engine, "UPDATE counter SET n = n + 1 WHERE id = 1")

        await asyncio.gather(*(counter(engine) for _ in range(200)), *(add() for _ in range(50)))
        await asyncio.gather(*(counter(engine) for _ in range(200)))
        assert await counter(engine) == 50
        assert opened.count(False) == 1  # one writer connection
        assert 1 <= opened.count(True) <= engine.reader_count

    async def test_piccolo_queries_use_the_engine(self, engine: CityBrainSQLiteEngine) -> None:
        class Thing(Table, db=engine, tablename="thing"):
            name = Varchar(length=20, null=False, default="")
            size = Integer(null=False, default=0)

        await Thing.create_table().run()  # type: ignore[no-untyped-call]
        await Thing.insert(Thing(name="a", size=1), Thing(name="b", size=2)).run()
        async with engine.transaction():
            await Thing.update({Thing.size: Thing.size + 10}).where(Thing.name == "a").run()
            assert await Thing.count().run() == 2
        rows = await Thing.select(Thing.name, Thing.size).order_by(Thing.name).run()
        assert rows == [{"name": "a", "size": 11}, {"name": "b", "size": 2}]
        assert await Thing.exists().where(Thing.name == "b").run()


class TestUnderConcurrentRequests:
    async def test_a_tiny_app_counts_every_request(self, engine: CityBrainSQLiteEngine) -> None:
        """Requests in flight together, each a read-then-write transaction, and readers."""

        @post("/hit", status_code=200)
        async def hit() -> dict[str, int]:
            async with atomic():
                row = await fetch_one("SELECT n FROM counter WHERE id = 1")
                assert row is not None
                await asyncio.sleep(0)
                await fetch("UPDATE counter SET n = {} WHERE id = 1", row["n"] + 1)
            return {"n": row["n"] + 1}

        @get("/count")
        async def count() -> dict[str, int]:
            row = await fetch_one("SELECT n FROM counter WHERE id = 1")
            assert row is not None
            return {"n": int(row["n"])}

        app = Litestar([hit, count])
        transport = httpx.ASGITransport(app=cast(Any, app))
        with using_engine(engine):
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                responses = await asyncio.gather(
                    *(http.post("/hit") for _ in range(60)),
                    *(http.get("/count") for _ in range(60)),
                )
                final = (await http.get("/count")).json()["n"]
        assert all(r.status_code == 200 for r in responses)
        assert sorted(r.json()["n"] for r in responses[:60]) == list(range(1, 61))
        assert final == 60


class TestBuildEngine:
    def test_sqlite_url(self, tmp_path: Path) -> None:
        path = tmp_path / "sub" / "db.sqlite3"
        engine = build_engine(Settings(env="test", database_url=f"sqlite:///{path}"))
        assert isinstance(engine, CityBrainSQLiteEngine)
        assert engine.path == str(path) and path.parent.is_dir()

    def test_default_lives_under_the_data_dir(self, tmp_path: Path) -> None:
        engine = build_engine(Settings(env="test", data_dir=str(tmp_path), sqlite_readers=5))
        assert isinstance(engine, CityBrainSQLiteEngine)
        assert engine.path == str(tmp_path / "citybrain.sqlite3")
        assert engine.reader_count == 5

    def test_postgres_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def no_server() -> None:
            return None

        monkeypatch.setattr(PostgresEngine, "check_version", lambda self: no_server())
        engine = build_engine(
            Settings(env="test", database_url="postgresql://u:p@db.example:6543/city")
        )
        assert isinstance(engine, PostgresEngine)
        assert engine.config == {
            "host": "db.example",
            "port": 6543,
            "user": "u",
            "password": "p",
            "database": "city",
        }


class TestConfiguredDatabaseUnderLoad:
    async def test_concurrent_writes_and_reads_all_succeed(self, api: Api) -> None:
        """The suite's own engine (SQLite or PostgreSQL) with requests really in flight together."""
        phones = [new_phone() for _ in range(30)]
        requests: list[dict[str, Any]] = [
            {"method": "POST", "url": "/api/v1/auth/otp", "json": {"phone": p}} for p in phones
        ]
        requests += [{"method": "GET", "url": "/health"} for _ in range(30)]
        responses = await concurrently(api.client, requests)
        assert [r.status_code for r in responses] == [202] * 30 + [200] * 30
        codes = [await api.otp(phone) for phone in phones[:3]]
        assert all(len(code) == 6 for code in codes)


class TestPlainSql:
    """`fetch` compiles `{}` templates itself; `fetch_point` reads inline on the loop."""

    @pytest.mark.parametrize(
        ("template", "args"),
        [
            ("SELECT {} AS a, {} AS b", (1, "x")),
            ("SELECT '{{}}' AS braces, {} AS a", (2,)),
            ("SELECT 1 AS a", ()),
            ("SELECT {} AS a, {} AS b", (3,)),  # a missing argument drops its placeholder
        ],
    )
    def test_templates_compile_as_piccolo_does(self, template: str, args: tuple[Any, ...]) -> None:
        assert (
            _qmarks(template, len(args)) == QueryString(template, *args).compile_string("sqlite")[0]
        )

    async def test_fetch_runs_plain_templates_and_querystrings(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        with using_engine(engine):
            assert await fetch("SELECT n + {} AS n FROM counter WHERE id = {}", 5, 1) == [{"n": 5}]
            nested = QueryString("n * {}", 3)
            assert await fetch("SELECT {} AS n FROM counter", nested) == [{"n": 0}]

    async def test_point_reads_see_committed_rows_only(self, engine: CityBrainSQLiteEngine) -> None:
        with using_engine(engine):
            assert await fetch_point("SELECT n FROM counter WHERE id = {}", 1) == {"n": 0}
            assert await fetch_point("SELECT n FROM counter WHERE id = {}", 404) is None
            seen_outside: list[Any] = []

            async def look_from_outside() -> None:
                seen_outside.append(await fetch_point("SELECT n FROM counter WHERE id = 1"))

            outside = contextvars.copy_context()  # this engine, no transaction
            async with atomic():
                await fetch("UPDATE counter SET n = 7 WHERE id = 1")
                # Inside the transaction a point read goes to the writer: it sees the write.
                assert await fetch_point("SELECT n FROM counter WHERE id = 1") == {"n": 7}
                # Another task, outside it, reads inline: the last committed value.
                await asyncio.create_task(look_from_outside(), context=outside)
            assert seen_outside == [{"n": 0}]
            assert await fetch_point("SELECT n FROM counter WHERE id = 1") == {"n": 7}

    async def test_point_reads_cannot_write(self, engine: CityBrainSQLiteEngine) -> None:
        with using_engine(engine), pytest.raises(sqlite3.OperationalError):
            await fetch_point("UPDATE counter SET n = 1 RETURNING n")
        assert await counter(engine) == 0


class TestRunInWriter:
    async def test_several_statements_commit_together(self, engine: CityBrainSQLiteEngine) -> None:
        def work(run: Any) -> int:
            run("UPDATE counter SET n = n + {} WHERE id = 1", 5)
            return int(run("SELECT n FROM counter WHERE id = {}", 1)[0]["n"])

        assert await engine.run_in_writer(work) == 5
        assert await counter(engine) == 5

    async def test_an_error_rolls_all_back_and_frees_the_writer(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        def work(run: Any) -> None:
            run("UPDATE counter SET n = 99 WHERE id = 1")
            raise ValueError("changed my mind")

        with pytest.raises(ValueError, match="changed my mind"):
            await engine.run_in_writer(work)
        assert await counter(engine) == 0
        assert not engine.writer_lock.locked()
        async with engine.transaction():  # the connection is usable, not stuck in a BEGIN
            await run(engine, "UPDATE counter SET n = 1 WHERE id = 1")
        assert await counter(engine) == 1

    async def test_without_a_transaction_each_statement_commits_alone(
        self, engine: CityBrainSQLiteEngine
    ) -> None:
        def work(run: Any) -> None:
            run("UPDATE counter SET n = 7 WHERE id = 1")
            raise ValueError("after the first statement")

        with pytest.raises(ValueError, match="after the first"):
            await engine.run_in_writer(work, transaction=False)
        assert await counter(engine) == 7
        assert not engine.writer_lock.locked()


class TestExit:
    def test_a_process_that_never_closes_the_engine_still_exits(self, tmp_path: Path) -> None:
        """Piccolo's CLI and scripts end without closing it (connections hold threads)."""
        script = (
            "import asyncio\n"
            "from piccolo.querystring import QueryString\n"
            "from app.database import CityBrainSQLiteEngine\n"
            f"engine = CityBrainSQLiteEngine({str(tmp_path / 'exit.sqlite3')!r})\n"
            "async def main():\n"
            "    await engine.run_querystring(QueryString('CREATE TABLE t (n INTEGER)'))\n"
            "    async with engine.transaction():\n"
            "        await engine.run_querystring(QueryString('INSERT INTO t VALUES (1)'))\n"
            "    print((await engine.run_querystring(QueryString('SELECT n FROM t')))[0]['n'])\n"
            "asyncio.run(main())\n"
        )
        done = subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "1"


@pytest.mark.postgres
class TestPoolRelease:
    """The pool skips asyncpg's reset round trip; what must still happen on release does."""

    async def test_an_open_transaction_is_rolled_back_and_nothing_else_is_sent(self) -> None:
        import os

        import asyncpg

        from app.database import _release

        connection = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            await connection.execute("CREATE TEMP TABLE release_probe (n int)")
            await connection.execute("BEGIN")
            await connection.execute("INSERT INTO release_probe VALUES (1)")
            await _release(connection)
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT count(*) FROM release_probe") == 0
            await _release(connection)  # outside a transaction: nothing to do, no error
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()


class TestTemplates:
    def test_postgres_placeholders_compile_as_piccolo_does(self) -> None:
        from app.database import _pg_sql

        for template, args in (("SELECT {} AS a, {} AS b", (1, "x")), ("SELECT 1", ())):
            piccolo = QueryString(template, *args).compile_string("postgres")[0]
            assert _pg_sql(template, len(args)) == piccolo
