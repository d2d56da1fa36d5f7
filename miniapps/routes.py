"""The platform's HTTP: the catalogue, consent, the data-access log, and every mounted app.

Developer and admin routes are in `developer_routes`, the app API and OAuth in `app_routes`.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from app.errors import NotFound
from app.pagination import CursorParam, LimitParam, Page
from identity.auth import CitizenPrincipal, citizen_dependency
from identity.errors import RealNameRequired
from miniapps import app_routes, developer_routes, service
from miniapps.registry import get_registry
from miniapps.schemas import DataAccessOut, GrantCreated, GrantOut, GrantRequest, MiniAppOut
from notifications import subscriptions
from notifications.schemas import Subscribed, SubscribeRequest


class CatalogueController(Controller):
    path = "/api/v1/miniapps"
    tags = ["mini-apps"]

    @get("", summary="Mini-apps a citizen can use: in-process (builtin) and live external")
    async def catalogue(
        self, limit: LimitParam = 50, cursor: CursorParam = None
    ) -> Page[MiniAppOut]:
        items, next_cursor = await service.catalogue(limit, cursor)
        return Page(items, next_cursor)

    @post(
        "/{slug:str}/grants",
        status_code=201,
        dependencies=citizen_dependency,
        summary="Grant an app scopes; an external app gets a one-time code (5 min)",
        opt={"problems": [NotFound, RealNameRequired]},
    )
    async def grant(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        slug: FromPath[str],
        data: JSONBody[GrantRequest],
    ) -> GrantCreated:
        return await service.grant(
            citizen.citizen_id, citizen.real_name_verified, slug, list(data.scopes)
        )


class MyGrantsController(Controller):
    path = "/api/v1/me"
    tags = ["mini-apps"]
    dependencies = citizen_dependency

    @get("/grants", summary="The apps the citizen granted, with their scopes")
    async def grants(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[GrantOut]:
        items, next_cursor = await service.list_grants(citizen.citizen_id, limit, cursor)
        return Page(items, next_cursor)

    @delete("/grants/{slug:str}", status_code=204, summary="Revoke every scope of an app at once")
    async def revoke(self, citizen: NamedDependency[CitizenPrincipal], slug: FromPath[str]) -> None:
        await service.revoke(citizen.citizen_id, slug)

    @get("/data-access", summary="Every read of the citizen's data by an app, and every charge")
    async def data_access(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[DataAccessOut]:
        items, next_cursor = await service.list_data_access(citizen.citizen_id, limit, cursor)
        return Page(items, next_cursor)


def _reserved_routes(slug: str) -> list[Any]:
    """Fixed-path copies of `{slug}/grants` and `{slug}/subscriptions` for a mounted app.

    Litestar's router does not step back from a matched fixed segment (the app's slug) to the
    `{slug}` parameter, so once an app is mounted at `/api/v1/miniapps/<slug>` the platform's
    own paths under it must be registered there too. Hidden from OpenAPI: the `{slug}`
    operations document them.
    """

    @post(
        "/grants",
        status_code=201,
        dependencies=citizen_dependency,
        include_in_schema=False,
    )
    async def grant(
        citizen: NamedDependency[CitizenPrincipal], data: JSONBody[GrantRequest]
    ) -> GrantCreated:
        return await service.grant(
            citizen.citizen_id, citizen.real_name_verified, slug, list(data.scopes)
        )

    @post(
        "/subscriptions",
        status_code=201,
        dependencies=citizen_dependency,
        include_in_schema=False,
    )
    async def subscribe(
        citizen: NamedDependency[CitizenPrincipal], data: JSONBody[SubscribeRequest]
    ) -> Subscribed:
        return await subscriptions.subscribe(citizen.citizen_id, slug, data.templates, data.mode)

    return [grant, subscribe]


def _mounted() -> list[Any]:
    mounts = get_registry().routers()
    for mount in mounts:
        for handler in _reserved_routes(str(mount.opt["miniapp"])):
            mount.register(handler)
    return mounts


route_handlers: list[Any] = [
    CatalogueController,
    MyGrantsController,
    *developer_routes.route_handlers,
    *app_routes.route_handlers,
    *_mounted(),
]
