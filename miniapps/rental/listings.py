"""Listings by real-name landlords, the search, and viewing appointments.

A landlord proves their real name by sharing it (`identity.realname`) when listing; the
listing keeps only the masked name and the per-app ID hash. A viewing needs the visitor's
masked name (`profile.basic`) so the landlord knows whom to expect.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from miniapps.rental.errors import ListingUnavailable, OwnListing, ViewingExists, ViewingNotBooked
from miniapps.rental.pages import cursor_key, cursor_time
from miniapps.rental.schemas import ListingOut, ListingRequest, ViewingOut, ViewingRequest
from miniapps.sdk import (
    FieldError,
    MiniAppContext,
    NotFound,
    ValidationFailed,
    as_utc,
    atomic,
    encode_cursor,
    fetch,
    fetch_one,
    new_id,
    now,
)

VIEWING_HORIZON = timedelta(days=60)


def mask_name(name: str) -> str:
    """The first character, each other one masked: 张三 → 张*."""
    return name[:1] + "*" * max(0, len(name) - 1)


def listing_out(row: dict[str, Any]) -> ListingOut:
    return ListingOut(
        id=str(row["id"]),
        title=str(row["title"]),
        region_code=str(row["region_code"]),
        address=str(row["address"]),
        rooms=int(row["rooms"]),
        area_m2=None if row["area_m2"] is None else int(row["area_m2"]),
        rent_amount=int(row["rent_amount"]),
        deposit_amount=int(row["deposit_amount"]),
        description=str(row["description"]),
        landlord_name_masked=str(row["landlord_name_masked"]),
        status=row["status"],
        created_at=as_utc(row["created_at"]),
    )


async def create_listing(ctx: MiniAppContext, data: ListingRequest) -> ListingOut:
    openid = ctx.require_citizen()
    landlord = await ctx.identity.real_identity()  # 403 unless real-name and shared
    listing_id = new_id()
    async with atomic():
        row = await fetch_one(
            "INSERT INTO rental_listing (id, landlord_openid, landlord_id_hash, "
            "landlord_name_masked, title, region_code, address, rooms, area_m2, rent_amount, "
            "deposit_amount, description, status, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'listed', {}) RETURNING *",
            listing_id,
            openid,
            landlord.id_hash,
            mask_name(landlord.real_name),
            data.title,
            data.region_code,
            data.address,
            data.rooms,
            data.area_m2,
            data.rent_amount,
            data.deposit_amount,
            data.description,
            now(),
        )
    assert row is not None
    return listing_out(row)


async def find_listing(listing_id: str) -> dict[str, Any]:
    row = await fetch_one("SELECT * FROM rental_listing WHERE id = {}", listing_id)
    if row is None:
        raise NotFound("No such listing.")
    return row


async def search(
    *,
    district: str | None,
    min_rent: int | None,
    max_rent: int | None,
    rooms: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ListingOut], str | None]:
    """Homes to let, cheapest first; `district` is a region-code prefix (`3301`: Hangzhou)."""
    if min_rent is not None and max_rent is not None and min_rent > max_rent:
        raise ValidationFailed(errors=[FieldError("min_rent", "must not exceed max_rent")])
    where: list[str] = ["status = 'listed'"]
    args: list[object] = []
    if district:
        where.append("region_code LIKE {}")
        args.append(district + "%")  # digits only (checked), so no wildcard sneaks in
    for clause, value in (
        ("rent_amount >= {}", min_rent),
        ("rent_amount <= {}", max_rent),
        ("rooms = {}", rooms),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    after = cursor_key(cursor, int, str)
    if after is not None:
        where.append("(rent_amount > {} OR (rent_amount = {} AND id > {}))")
        args += [after[0], after[0], after[1]]
    rows = await fetch(
        f"SELECT * FROM rental_listing WHERE {' AND '.join(where)} "
        "ORDER BY rent_amount, id LIMIT {}",
        *args,
        limit + 1,
    )
    page = [listing_out(row) for row in rows[:limit]]
    more = len(rows) > limit
    return page, (encode_cursor(page[-1].rent_amount, page[-1].id) if more else None)


async def my_listings(
    openid: str, limit: int, cursor: str | None
) -> tuple[list[ListingOut], str | None]:
    after = cursor_key(cursor, str)
    rows = await fetch(
        "SELECT * FROM rental_listing WHERE landlord_openid = {} AND id > {} ORDER BY id LIMIT {}",
        openid,
        after[0] if after else "",
        limit + 1,
    )
    page = [listing_out(row) for row in rows[:limit]]
    return page, (encode_cursor(page[-1].id) if len(rows) > limit else None)


# Viewings -----------------------------------------------------------------------------------


def viewing_out(row: dict[str, Any]) -> ViewingOut:
    return ViewingOut(
        id=str(row["id"]),
        listing_id=str(row["listing_id"]),
        at=as_utc(row["at"]),
        status=row["status"],
        visitor_name_masked=row["visitor_name_masked"],
        created_at=as_utc(row["created_at"]),
    )


async def book_viewing(ctx: MiniAppContext, listing_id: str, data: ViewingRequest) -> ViewingOut:
    openid = ctx.require_citizen()
    listing = await find_listing(listing_id)
    booked_at = now()
    if not booked_at < data.at <= booked_at + VIEWING_HORIZON:
        raise ValidationFailed(
            errors=[FieldError("at", "must be in the future, at most 60 days ahead")]
        )
    if listing["landlord_openid"] == openid:
        raise OwnListing("You cannot book a viewing of your own home.")
    if listing["status"] != "listed":
        raise ListingUnavailable("This home is let; look for another one.")
    profile = await ctx.profile()  # 403 scope_required without profile.basic
    async with atomic():
        row = await fetch_one(
            "INSERT INTO rental_viewing (id, listing_id, landlord_openid, visitor_openid, "
            "visitor_name_masked, at, status, open_key, created_at, cancelled_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, 'booked', {}, {}, NULL) "
            "ON CONFLICT (open_key) DO NOTHING RETURNING *",
            new_id(),
            listing_id,
            listing["landlord_openid"],
            openid,
            profile.name_masked,
            data.at.astimezone(UTC),
            f"{listing_id}:{openid}",
            booked_at,
        )
    if row is None:
        raise ViewingExists("You already booked a viewing of this home; cancel it to rebook.")
    return viewing_out(row)


async def list_viewings(
    openid: str, role: str, limit: int, cursor: str | None
) -> tuple[list[ViewingOut], str | None]:
    """The visitor's viewings or the landlord's (of their homes), soonest first."""
    column = "landlord_openid" if role == "landlord" else "visitor_openid"
    after = cursor_key(cursor, str, str)
    args: list[object] = [openid]
    keyset = ""
    if after is not None:
        keyset = "AND (at > {} OR (at = {} AND id > {})) "
        at = cursor_time(after[0])
        args += [at, at, after[1]]
    rows = await fetch(
        f"SELECT * FROM rental_viewing WHERE {column} = {{}} {keyset}ORDER BY at, id LIMIT {{}}",
        *args,
        limit + 1,
    )
    page = [viewing_out(row) for row in rows[:limit]]
    more = len(rows) > limit
    return page, (encode_cursor(page[-1].at.isoformat(), page[-1].id) if more else None)


async def cancel_viewing(openid: str, viewing_id: str) -> ViewingOut:
    """The visitor or the landlord calls the viewing off."""
    async with atomic():
        row = await fetch_one(
            "UPDATE rental_viewing SET status = 'cancelled', open_key = NULL, cancelled_at = {} "
            "WHERE id = {} AND status = 'booked' AND (visitor_openid = {} OR landlord_openid = {}) "
            "RETURNING *",
            now(),
            viewing_id,
            openid,
            openid,
        )
        if row is None:
            existing = await fetch_one(
                "SELECT status FROM rental_viewing WHERE id = {} "
                "AND (visitor_openid = {} OR landlord_openid = {})",
                viewing_id,
                openid,
                openid,
            )
            if existing is None:
                raise NotFound("No such viewing.")
            raise ViewingNotBooked("This viewing is already cancelled.")
    return viewing_out(row)
