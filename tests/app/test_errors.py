"""RFC 9457 problem details for every failure, and their documentation in OpenAPI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

import asyncpg
import httpx
import msgspec
import pytest
from litestar import Controller, Litestar, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from app.errors import (
    PROBLEM_JSON,
    Conflict,
    FieldError,
    ProblemDocsPlugin,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    declare_problems,
    exception_handlers,
)
from tests.helpers import Api, problem


class Order(msgspec.Struct):
    item: Annotated[str, msgspec.Meta(min_length=1)]
    amount: Annotated[int, msgspec.Meta(ge=1)]

    class Gift(msgspec.Struct):
        to: str

    gift: Gift | None = None


class OutOfStock(Conflict):
    code, title = "out_of_stock", "Out of stock"


async def caller(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    if request.headers.get("authorization") != "Bearer ok":
        raise Unauthorized("A bearer token is required.")
    return "someone"


declare_problems(caller, Unauthorized)


async def maybe_caller(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    if "authorization" not in request.headers:
        return None
    return await caller(request)


declare_problems(maybe_caller, Unauthorized, optional_token=True)


@post("/orders", status_code=201, opt={"problems": [OutOfStock]})
async def order(data: JSONBody[Order]) -> Order:
    if data.item == "gone":
        raise OutOfStock("That item is sold out.")
    if data.item == "busy":
        raise RateLimited(7)
    if data.item == "bad":
        raise ValidationFailed(errors=[FieldError("item", "not sold here")])
    return data


@get("/orders/{order_id:str}", dependencies={"who": Provide(caller)})
async def show(who: NamedDependency[str], order_id: FromPath[str]) -> dict[str, str]:
    return {"id": order_id, "who": who}


@get("/crash")
async def crash(secret: FromQuery[str] = "") -> None:
    raise RuntimeError(f"database password is hunter2 {secret}")


@get("/overflow")
async def overflow() -> None:
    raise OverflowError("Python int too large to convert to SQLite INTEGER")


_DOWN: dict[str, Exception] = {
    "shutting-down": asyncpg.exceptions.AdminShutdownError("terminating connection"),
    "starting-up": asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    "dropped": asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    "closed": asyncpg.InterfaceError("connection is closed"),
    "refused": ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
    "mid-statement": asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    ),
    "misused": asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
}


@get("/database/{how:str}")
async def database_down(how: FromPath[str]) -> None:
    raise _DOWN[how]


@get("/plain")
async def plain() -> dict[str, str]:
    return {"ok": "yes"}


class Shop(Controller):
    """A layer providing a token dependency that only some of its handlers use."""

    path = "/shop"
    dependencies = {"who": Provide(caller), "maybe": Provide(maybe_caller)}

    @get("/open")
    async def open_hours(self) -> dict[str, str]:
        return {"open": "9-17"}

    @get("/greeting")
    async def greeting(self, maybe: NamedDependency[str | None]) -> dict[str, str]:
        return {"hello": maybe or "stranger"}


@pytest.fixture(scope="module")
async def tiny() -> AsyncIterator[httpx.AsyncClient]:
    app = Litestar(
        [order, show, crash, overflow, database_down, plain, Shop],
        exception_handlers=exception_handlers,
        plugins=[ProblemDocsPlugin()],
        request_max_body_size=1024,
        logging_config=None,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cast(Any, app)), base_url="http://tiny"
    ) as client:
        yield client


def post_raw(client: httpx.AsyncClient, body: bytes) -> Any:
    return client.post("/orders", content=body, headers={"Content-Type": "application/json"})


class TestProblemResponses:
    async def test_a_domain_problem(self, tiny: httpx.AsyncClient) -> None:
        response = await tiny.post("/orders", json={"item": "gone", "amount": 1})
        body = problem(response, 409, "out_of_stock")
        assert body == {
            "type": "https://citybrain.example/problems/out-of-stock",
            "title": "Out of stock",
            "status": 409,
            "detail": "That item is sold out.",
            "code": "out_of_stock",
        }

    async def test_rate_limited_carries_retry_after(self, tiny: httpx.AsyncClient) -> None:
        response = await tiny.post("/orders", json={"item": "busy", "amount": 1})
        problem(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "7"

    async def test_field_errors_raised_by_a_handler(self, tiny: httpx.AsyncClient) -> None:
        response = await tiny.post("/orders", json={"item": "bad", "amount": 1})
        body = problem(response, 422, "validation_error")
        assert body["errors"] == [{"field": "item", "message": "not sold here"}]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (b"{}", "item"),
            (b'{"item": "x"}', "amount"),
            (b'{"item": "x", "amount": 0}', "amount"),
            (b'{"item": "", "amount": 1}', "item"),
            (b'{"item": "x", "amount": "one"}', "amount"),
            (b'{"item": "x", "amount": 1, "gift": {}}', "gift.to"),
            (b"[]", "body"),
            (b"null", "body"),
            (b'"text"', "body"),
            (b"", "body"),
        ],
    )
    async def test_bad_input_names_the_field(
        self, tiny: httpx.AsyncClient, body: bytes, field: str
    ) -> None:
        errors = problem(await post_raw(tiny, body), 422, "validation_error")["errors"]
        assert [e["field"] for e in errors] == [field]
        assert all(e["message"] for e in errors)

    @pytest.mark.parametrize(
        "body", [b"{", b'{"item": "x",}', b'{"item": "x"} trailing', b"\xff\xfe", b"{'a': 1}"]
    )
    async def test_broken_json_is_malformed(self, tiny: httpx.AsyncClient, body: bytes) -> None:
        problem(await post_raw(tiny, body), 400, "malformed_request")

    async def test_a_dependency_refuses_the_caller(self, tiny: httpx.AsyncClient) -> None:
        response = await tiny.get("/orders/7", headers={"Authorization": "Bearer no"})
        problem(response, 401, "unauthorized")

    async def test_an_optional_token(self, tiny: httpx.AsyncClient) -> None:
        assert (await tiny.get("/shop/greeting")).json() == {"hello": "stranger"}
        assert (
            await tiny.get("/shop/greeting", headers={"Authorization": "Bearer ok"})
        ).json() == {"hello": "someone"}
        problem(
            await tiny.get("/shop/greeting", headers={"Authorization": "Bearer no"}),
            401,
            "unauthorized",
        )

    async def test_unknown_path_and_method(self, tiny: httpx.AsyncClient) -> None:
        problem(await tiny.get("/nowhere"), 404, "not_found")
        problem(await tiny.delete("/orders"), 405, "method_not_allowed")

    async def test_too_large_a_body(self, tiny: httpx.AsyncClient) -> None:
        response = await post_raw(tiny, b'{"item": "' + b"x" * 2000 + b'", "amount": 1}')
        problem(response, 413, "payload_too_large")

    async def test_an_unexpected_error_reveals_nothing(
        self, tiny: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.ERROR, logger="citybrain.errors")
        response = await tiny.get("/crash", params={"secret": "13800000000"})
        body = problem(response, 500, "internal_error")
        assert "hunter2" not in response.text and "13800000000" not in response.text
        assert body["detail"] == "Something went wrong on our side."
        assert "RuntimeError" in caplog.text

    @pytest.mark.parametrize(
        "how", ["shutting-down", "starting-up", "dropped", "closed", "refused", "mid-statement"]
    )
    async def test_a_database_that_is_down_is_a_503_at_once(
        self, tiny: httpx.AsyncClient, how: str
    ) -> None:
        response = await tiny.get(f"/database/{how}")
        body = problem(response, 503, "unavailable")
        assert response.headers["Retry-After"] == "1"
        assert "5432" not in response.text and "Traceback" not in response.text
        assert body["detail"] == "The database is unavailable; retry shortly."

    async def test_a_misused_connection_is_our_bug_not_an_outage(
        self, tiny: httpx.AsyncClient
    ) -> None:
        problem(await tiny.get("/database/misused"), 500, "internal_error")

    async def test_a_value_the_database_cannot_store(self, tiny: httpx.AsyncClient) -> None:
        body = problem(await tiny.get("/overflow"), 422, "validation_error")
        assert body["errors"][0]["field"] == "request"


class TestProblemDocs:
    async def test_every_answer_is_documented(self, tiny: httpx.AsyncClient) -> None:
        schema = (await tiny.get("/schema/openapi.json")).json()
        create = schema["paths"]["/orders"]["post"]
        assert set(create["responses"]) == {"201", "400", "409", "422"}
        conflict = create["responses"]["409"]
        assert "out_of_stock" in conflict["description"]
        assert conflict["content"][PROBLEM_JSON]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        assert "security" not in create

        show_op = schema["paths"]["/orders/{order_id}"]["get"]
        assert set(show_op["responses"]) == {"200", "400", "401", "404", "422"}
        assert show_op["security"] == [{"bearer": []}]

        assert set(schema["paths"]["/plain"]["get"]["responses"]) == {"200"}
        # A dependency the handler never asks for adds nothing; an optional token is optional.
        assert set(schema["paths"]["/shop/open"]["get"]["responses"]) == {"200"}
        assert "security" not in schema["paths"]["/shop/open"]["get"]
        greeting = schema["paths"]["/shop/greeting"]["get"]
        assert set(greeting["responses"]) == {"200", "401"}
        assert greeting["security"] == [{"bearer": []}, {}]
        problem_schema = schema["components"]["schemas"]["Problem"]
        assert set(problem_schema["required"]) == {"type", "title", "status", "detail", "code"}


class TestTheApp:
    async def test_an_unknown_body_field_is_named(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            "/api/v1/healthcode/declarations",
            json={"temperature_c": 36.5, "colour": "green"},
            headers=citizen.headers,
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"] == [{"field": "colour", "message": "not a field of this request"}]

    async def test_unknown_route_is_a_problem(self, api: Api) -> None:
        problem(await api.client.get("/api/v1/nowhere"), 404, "not_found")

    async def test_the_schema_viewer_is_served(self, api: Api) -> None:
        response = await api.client.get("/schema")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")

    async def test_the_openapi_document_is_served(self, api: Api) -> None:
        response = await api.client.get("/schema/openapi.json")
        assert response.status_code == 200
        paths = response.json()["paths"]
        assert "/api/v1/auth/otp" in paths and "/health" in paths
        assert "429" in paths["/api/v1/auth/otp"]["post"]["responses"]
