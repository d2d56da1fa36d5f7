"""HTTP for developers (their apps, secrets, sandbox) and for the admins who review apps."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from app.errors import Forbidden
from app.pagination import CursorParam, LimitParam, Page
from identity.auth import CitizenPrincipal, citizen_dependency, platform_admin_dependency
from identity.errors import RealNameRequired
from miniapps import developer
from miniapps.errors import AppNotDraft, AppNotSubmitted, InvalidWebhookUrl, SlugTaken
from miniapps.registry import get_registry
from miniapps.schemas import (
    AppCreate,
    AppCreated,
    AppOut,
    AppUpdate,
    ClientSecretOut,
    RegistryEntryOut,
    RegistryFailureOut,
    RegistryOut,
    SandboxCitizenCreate,
    SandboxCitizenOut,
    WebhookSecretOut,
)


class DeveloperController(Controller):
    path = "/api/v1/developer/apps"
    tags = ["developer"]
    dependencies = citizen_dependency
    opt = {"problems": [Forbidden]}

    @post(
        "",
        status_code=201,
        summary="Register an external mini-app (secrets shown once)",
        opt={"problems": [RealNameRequired, SlugTaken, InvalidWebhookUrl]},
    )
    async def create(
        self, citizen: NamedDependency[CitizenPrincipal], data: JSONBody[AppCreate]
    ) -> AppCreated:
        return await developer.create_app(citizen.citizen_id, citizen.real_name_verified, data)

    @get("", summary="The caller's apps")
    async def mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[AppOut]:
        items, next_cursor = await developer.list_apps(
            limit, cursor, developer_id=citizen.citizen_id
        )
        return Page(items, next_cursor)

    @get("/{app_id:str}", summary="One of the caller's apps")
    async def one(
        self, citizen: NamedDependency[CitizenPrincipal], app_id: FromPath[str]
    ) -> AppOut:
        return await developer.get_app(citizen.citizen_id, app_id)

    @patch(
        "/{app_id:str}",
        summary="Rename the app or change its webhook URL",
        opt={"problems": [InvalidWebhookUrl]},
    )
    async def update(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        app_id: FromPath[str],
        data: JSONBody[AppUpdate],
    ) -> AppOut:
        return await developer.update_app(citizen.citizen_id, app_id, data)

    @post(
        "/{app_id:str}/submit",
        status_code=200,
        summary="Submit the app for review",
        opt={"problems": [AppNotDraft]},
    )
    async def submit(
        self, citizen: NamedDependency[CitizenPrincipal], app_id: FromPath[str]
    ) -> AppOut:
        return await developer.submit(citizen.citizen_id, app_id)

    @post(
        "/{app_id:str}/client-secret",
        status_code=200,
        summary="Rotate the client secret (old secret and app tokens stop working)",
    )
    async def rotate_client_secret(
        self, citizen: NamedDependency[CitizenPrincipal], app_id: FromPath[str]
    ) -> ClientSecretOut:
        return await developer.rotate_client_secret(citizen.citizen_id, app_id)

    @post("/{app_id:str}/webhook-secret", status_code=200, summary="Rotate the webhook secret")
    async def rotate_webhook_secret(
        self, citizen: NamedDependency[CitizenPrincipal], app_id: FromPath[str]
    ) -> WebhookSecretOut:
        return await developer.rotate_webhook_secret(citizen.citizen_id, app_id)

    @post(
        "/{app_id:str}/sandbox/citizens",
        status_code=201,
        summary="Create a sandbox citizen and an authorization code for it",
    )
    async def sandbox_citizen(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        app_id: FromPath[str],
        data: JSONBody[SandboxCitizenCreate],
    ) -> SandboxCitizenOut:
        return await developer.create_sandbox_citizen(citizen.citizen_id, app_id, data)


class AppReviewController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    dependencies = platform_admin_dependency

    @get("/apps", summary="External apps, e.g. those waiting for review (?status=submitted)")
    async def apps(
        self,
        admin: NamedDependency[CitizenPrincipal],
        status: FromQuery[Literal["draft", "submitted", "live"] | None] = None,
        limit: LimitParam = 50,
        cursor: CursorParam = None,
    ) -> Page[AppOut]:
        items, next_cursor = await developer.list_apps(limit, cursor, status=status)
        return Page(items, next_cursor)

    @post(
        "/apps/{app_id:str}/approve",
        status_code=200,
        summary="Make a submitted app live",
        opt={"problems": [AppNotSubmitted]},
    )
    async def approve(
        self, admin: NamedDependency[CitizenPrincipal], app_id: FromPath[str]
    ) -> AppOut:
        return await developer.approve(admin.citizen_id, app_id)

    @get("/miniapps/registry", summary="In-process mini-apps loaded, and those left out")
    async def registry(self, admin: NamedDependency[CitizenPrincipal]) -> RegistryOut:
        registry = get_registry()
        return RegistryOut(
            loaded=[
                RegistryEntryOut(a.manifest.slug, a.manifest.version, a.source)
                for a in registry.apps.values()
            ],
            failed=[RegistryFailureOut(f.source, f.reason) for f in registry.failures],
        )


route_handlers: list[Any] = [DeveloperController, AppReviewController]
