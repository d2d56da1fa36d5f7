"""What the SDK gained for the services app: the caller's platform roles in the context, and
a platform admin naming a citizen to an app by their platform id (`openid_of`)."""

from __future__ import annotations

import pytest

from miniapps.sdk import Forbidden, Manifest, MiniAppContext, NotFound, Unauthorized
from tests.app.portal import in_app
from tests.helpers import Api

MANIFEST = Manifest(slug="sdk-roles", name="SDK roles", version="1.0.0")


def context(*roles: str, openid: str | None = "o-caller") -> MiniAppContext:
    return MiniAppContext(manifest=MANIFEST, openid=openid, roles=frozenset(roles))


class TestRequireRole:
    def test_a_holder_passes_with_their_openid(self) -> None:
        assert context("platform_admin").require_role("platform_admin") == "o-caller"

    def test_anyone_else_signed_in_is_403(self) -> None:
        with pytest.raises(Forbidden):
            context("health_admin").require_role("platform_admin")

    def test_nobody_signed_in_is_401_and_holds_no_roles(self) -> None:
        anonymous = context("platform_admin", openid=None)
        assert anonymous.roles == frozenset()
        with pytest.raises(Unauthorized):
            anonymous.require_role("platform_admin")


class TestOpenidOfCitizen:
    async def test_is_the_openid_the_citizen_has_when_they_call(self, api: Api) -> None:
        from miniapps.context import citizen_context

        person = await api.citizen()

        async def both() -> tuple[str, str | None]:
            named = await context("platform_admin").openid_of(person.id)
            own = await citizen_context(MANIFEST, {}, person.id)
            return named, own.openid

        named, own = await in_app(api.client, both)
        assert named == own

    async def test_an_unknown_citizen_is_404(self, api: Api) -> None:
        with pytest.raises(NotFound):
            await in_app(api.client, context("platform_admin").openid_of, "nobody")

    async def test_only_a_platform_admin_may(self, api: Api) -> None:
        person = await api.citizen()
        with pytest.raises(Forbidden):
            await in_app(api.client, context("health_admin").openid_of, person.id)
