"""What the SDK gained for benefits: the citizen directory, payouts, staff roles, audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from miniapps.context import id_hash
from miniapps.sdk import (
    Forbidden,
    Manifest,
    MiniAppContext,
    NotFound,
    PaymentFailed,
    SealBroken,
    Unauthorized,
    ValidationFailed,
)
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, Citizen
from tests.miniapps.benefits.people import channel

PRIVILEGED = Manifest(
    slug="payer-check",
    name="Payer check",
    version="1.0.0",
    privileges=("citizen_directory", "payouts"),
)
PLAIN = Manifest(slug="plain-check", name="Plain check", version="1.0.0")


def app(manifest: Manifest = PRIVILEGED) -> MiniAppContext:
    return MiniAppContext(manifest=manifest)


async def whole_directory(ctx: MiniAppContext, limit: int) -> list[Any]:
    items, cursor = [], None
    while True:
        page = await ctx.directory.page(cursor, limit)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


async def openid_of(api: Api, citizen: Citizen, slug: str = "payer-check") -> str:
    rows = await db_fetch(
        api.client,
        "SELECT openid FROM miniapp_openid WHERE slug = {} AND citizen_id = {}",
        slug,
        citizen.id,
    )
    return str(rows[0]["openid"])


class TestDirectory:
    async def test_every_verified_citizen_with_the_facts_of_their_id(self, api: Api) -> None:
        verified = await api.citizen()
        unverified = await api.citizen(verified=False)
        found = await in_app(api.client, whole_directory, app(), 7)
        mine = [f for f in found if f.id_hash == id_hash("payer-check", verified.id_number or "")]
        assert len(mine) == 1
        number = verified.id_number or ""
        assert mine[0].region_code == number[:6]
        assert mine[0].birth_date.strftime("%Y%m%d") == number[6:14]
        assert mine[0].openid == await openid_of(api, verified)
        assert len({f.openid for f in found}) == len(found)
        rows = await db_fetch(
            api.client, "SELECT 1 FROM miniapp_openid WHERE citizen_id = {}", unverified.id
        )
        assert rows == []

    async def test_a_sealed_number_that_does_not_open_is_left_out_not_fatal(self, api: Api) -> None:
        from app.database import atomic, fetch

        broken = f"00000000-0000-4000-8000-{uuid.uuid4().hex[:12]}"  # first in id order

        async def insert() -> None:
            async with atomic():
                await fetch(
                    "INSERT INTO citizen (id, phone, roles, real_name_verified, id_sealed, "
                    "created_at) VALUES ({}, {}, 'citizen', {}, {}, {})",
                    broken,
                    f"139{uuid.uuid4().int % 10**8:08d}",
                    True,
                    "not-a-sealed-value",
                    datetime.now(UTC),
                )

        await in_app(api.client, insert)
        verified = await api.citizen()
        first = await in_app(api.client, app().directory.page, None, 1)
        assert first.items == [] and first.next_cursor is not None  # skipped, not the end
        found = await in_app(api.client, whole_directory, app(), 500)
        hashes = {f.id_hash for f in found}
        assert id_hash("payer-check", verified.id_number or "") in hashes
        rows = await db_fetch(
            api.client, "SELECT 1 FROM miniapp_openid WHERE citizen_id = {}", broken
        )
        assert rows == []
        await db_fetch(api.client, "DELETE FROM citizen WHERE id = {}", broken)

    async def test_the_cursor_is_opaque_and_only_this_apps(self, api: Api) -> None:
        citizen = await api.citizen()
        page = await in_app(api.client, app().directory.page, None, 1)
        assert page.next_cursor is not None and citizen.id not in page.next_cursor
        other = Manifest(
            slug="payer-other",
            name="Another payer",
            version="1.0.0",
            privileges=("citizen_directory",),
        )
        with pytest.raises(SealBroken):
            await in_app(api.client, app(other).directory.page, page.next_cursor, 1)

    async def test_id_hash_of_an_uploaded_number(self, api: Api) -> None:
        citizen = await api.citizen()
        number = citizen.id_number or ""
        assert app().directory.id_hash(number.lower()) == id_hash("payer-check", number)
        assert app().directory.id_hash(number[:17] + "?") is None
        assert app().directory.id_hash("") is None

    async def test_needs_the_privilege(self, api: Api) -> None:
        with pytest.raises(Forbidden, match="citizen_directory"):
            await in_app(api.client, app(PLAIN).directory.page, None, 10)
        with pytest.raises(Forbidden):
            app(PLAIN).directory.id_hash("330106199001011234")
        with pytest.raises(ValueError):
            await in_app(api.client, app().directory.page, None, 0)


class TestPayouts:
    async def test_pays_once_per_key(self, api: Api) -> None:
        citizen = await api.citizen()
        await in_app(api.client, whole_directory, app(), 500)
        openid = await openid_of(api, citizen)
        ctx = app()
        with channel() as recorded:
            first = await in_app(
                api.client, ctx.payouts.pay, openid, 900, programme="p1", key="k1", memo="补贴"
            )
            again = await in_app(
                api.client, ctx.payouts.pay, openid, 900, programme="p1", key="k1", memo="补贴"
            )
        assert (first.replayed, again.replayed) == (False, True)
        assert first.payout_id == again.payout_id and first.disbursed == 900
        assert recorded.disbursed == [(citizen.id, 900, first.payout_id)]
        assert await in_app(api.client, ctx.payouts.programme_total, "p1") == (1, 900)
        with pytest.raises(Exception, match="another payment"):
            await in_app(api.client, ctx.payouts.pay, openid, 901, programme="p1", key="k1")

    async def test_a_refusal_books_nothing(self, api: Api) -> None:
        citizen = await api.citizen()
        await in_app(api.client, whole_directory, app(), 500)
        openid = await openid_of(api, citizen)
        with channel(refuse=True), pytest.raises(PaymentFailed):
            await in_app(api.client, app().payouts.pay, openid, 900, programme="p2", key="k2")
        assert await in_app(api.client, app().payouts.programme_total, "p2") == (0, 0)
        rows = await db_fetch(
            api.client, "SELECT 1 FROM wallet_transfer WHERE citizen_id = {}", citizen.id
        )
        assert rows == []

    async def test_bad_amounts_unknown_people_and_no_privilege(self, api: Api) -> None:
        ctx = app()
        citizen = await api.citizen()
        await in_app(api.client, whole_directory, ctx, 500)
        openid = await openid_of(api, citizen)
        for amount in (0, -5, 1.5, True):
            with pytest.raises(ValidationFailed):
                await in_app(api.client, ctx.payouts.pay, openid, amount, programme="p", key="k")
        with pytest.raises(NotFound):
            await in_app(api.client, ctx.payouts.pay, "nobody", 100, programme="p", key="k")
        with pytest.raises(Forbidden, match="payouts"):
            await in_app(api.client, app(PLAIN).payouts.pay, openid, 100, programme="p", key="k")


class TestStaff:
    def test_require_role(self) -> None:
        staff = MiniAppContext(
            manifest=PLAIN, openid="o-1", scopes=frozenset(), roles=frozenset({"platform_admin"})
        )
        assert staff.require_role("platform_admin") == "o-1"
        citizen = MiniAppContext(manifest=PLAIN, openid="o-2", scopes=frozenset())
        with pytest.raises(Forbidden, match="platform_admin"):
            citizen.require_role("platform_admin")
        with pytest.raises(Unauthorized):
            MiniAppContext(manifest=PLAIN, scopes=frozenset()).require_role("platform_admin")

    async def test_audit_names_the_staff_member(self, api: Api) -> None:
        from app.database import atomic

        staff = await api.citizen()
        ctx = MiniAppContext(manifest=PLAIN, citizen_id=staff.id, openid="o-3")

        async def audited() -> None:
            async with atomic():
                await ctx.audit("thing.done", "thing:1")

        await in_app(api.client, audited)
        rows = await db_fetch(
            api.client, "SELECT action, target FROM audit_entry WHERE actor_id = {}", staff.id
        )
        assert rows == [{"action": "plain-check.thing.done", "target": "thing:1"}]
        with pytest.raises(RuntimeError):
            await app(PLAIN).audit("x", "y")
