"""Rental's HTTP routes, mounted under /api/v1/miniapps/rental.

Anyone searches homes; a real-name landlord (sharing `identity.realname`) lists them, sees
viewings, offers leases and keeps the tenant register; a visitor (`profile.basic`) books
viewings; a tenant (`identity.realname` and `wallet.charge`) signs, the deposit held on
credit for the whole term; monthly rent is charged by a job.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from miniapps.rental import leases, listings
from miniapps.rental.errors import (
    LeaseNotActive,
    LeaseNotOffered,
    ListingUnavailable,
    OfferExpired,
    OwnListing,
    ViewingExists,
    ViewingNotBooked,
)
from miniapps.rental.schemas import (
    LeaseOffer,
    LeaseOut,
    ListingOut,
    ListingRequest,
    RegisterEntry,
    ViewingOut,
    ViewingRequest,
)
from miniapps.sdk import (
    Conflict,
    CreditLimitExceeded,
    CursorParam,
    Forbidden,
    IdempotencyKeyHeader,
    LimitParam,
    MiniAppContext,
    NotFound,
    Page,
    RealNameRequired,
    ScopeRequired,
    Unauthorized,
    WalletSuspended,
    idempotent,
)

TAGS = ["mini-app: rental"]
# Problems each kind of caller may meet, for the OpenAPI document (`opt["problems"]`).
CITIZEN = (Unauthorized, Forbidden)
Role = Annotated[
    Literal["tenant", "landlord"],
    QueryParameter(name="role", description="whose side: the tenant's (default) or landlord's"),
]
District = Annotated[
    str | None,
    QueryParameter(
        name="district",
        pattern=r"^[0-9]{2,6}$(?!\n)",
        description="A region-code prefix: 33 Zhejiang, 3301 Hangzhou, 330106 Xihu district",
    ),
]
Money = Annotated[int | None, QueryParameter(ge=0, le=10_000_000, description="fen a month")]
Rooms = Annotated[int | None, QueryParameter(name="rooms", ge=1, le=10)]


@post(
    "/listings",
    opt={"problems": (*CITIZEN, ScopeRequired, RealNameRequired)},
    status_code=201,
    tags=TAGS,
    summary="A real-name landlord lists a home (needs identity.realname)",
)
async def create_listing(
    ctx: NamedDependency[MiniAppContext], data: JSONBody[ListingRequest]
) -> ListingOut:
    return await listings.create_listing(ctx, data)


@get("/listings", tags=TAGS, summary="Search homes to let by district, rent and rooms")
async def search_listings(
    district: District = None,
    min_rent: Money = None,
    max_rent: Money = None,
    rooms: Rooms = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[ListingOut]:
    items, next_cursor = await listings.search(
        district=district,
        min_rent=min_rent,
        max_rent=max_rent,
        rooms=rooms,
        limit=limit,
        cursor=cursor,
    )
    return Page(items, next_cursor)


@get("/listings/{listing_id:str}", tags=TAGS, summary="One home")
async def get_listing(listing_id: FromPath[str]) -> ListingOut:
    return listings.listing_out(await listings.find_listing(listing_id))


@get(
    "/landlord/listings",
    opt={"problems": CITIZEN},
    tags=TAGS,
    summary="The landlord's own homes, let or not",
)
async def my_listings(
    ctx: NamedDependency[MiniAppContext], limit: LimitParam = 50, cursor: CursorParam = None
) -> Page[ListingOut]:
    items, next_cursor = await listings.my_listings(ctx.require_citizen(), limit, cursor)
    return Page(items, next_cursor)


@post(
    "/listings/{listing_id:str}/viewings",
    opt={"problems": (*CITIZEN, ScopeRequired, OwnListing, ListingUnavailable, ViewingExists)},
    status_code=201,
    tags=TAGS,
    summary="Book a viewing of a home (needs profile.basic: the landlord sees the masked name)",
)
async def book_viewing(
    ctx: NamedDependency[MiniAppContext],
    listing_id: FromPath[str],
    data: JSONBody[ViewingRequest],
) -> ViewingOut:
    return await listings.book_viewing(ctx, listing_id, data)


@get(
    "/viewings",
    opt={"problems": CITIZEN},
    tags=TAGS,
    summary="The visitor's viewings, or the landlord's, soonest first",
)
async def list_viewings(
    ctx: NamedDependency[MiniAppContext],
    role: Role = "tenant",
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[ViewingOut]:
    items, next_cursor = await listings.list_viewings(ctx.require_citizen(), role, limit, cursor)
    return Page(items, next_cursor)


@post(
    "/viewings/{viewing_id:str}/cancel",
    opt={"problems": (*CITIZEN, ViewingNotBooked)},
    status_code=200,
    tags=TAGS,
    summary="The visitor or the landlord cancels a viewing",
)
async def cancel_viewing(
    ctx: NamedDependency[MiniAppContext], viewing_id: FromPath[str]
) -> ViewingOut:
    return await listings.cancel_viewing(ctx.require_citizen(), viewing_id)


@post(
    "/leases",
    opt={"problems": (*CITIZEN, NotFound, ViewingNotBooked, ListingUnavailable)},
    status_code=201,
    tags=TAGS,
    summary="The landlord offers a lease to a visitor of the home",
    description="Start date from today to 14 days on, 1 to 12 months, so that the deposit "
    "hold (until a week after the term) stays within the wallet's 400 days.",
)
async def offer_lease(ctx: NamedDependency[MiniAppContext], data: JSONBody[LeaseOffer]) -> LeaseOut:
    return await leases.offer(ctx.require_citizen(), data)


@get(
    "/leases",
    opt={"problems": CITIZEN},
    tags=TAGS,
    summary="The tenant's leases, or the landlord's, newest first",
)
async def list_leases(
    ctx: NamedDependency[MiniAppContext],
    role: Role = "tenant",
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[LeaseOut]:
    items, next_cursor = await leases.list_leases(ctx.require_citizen(), role, limit, cursor)
    return Page(items, next_cursor)


@get(
    "/leases/{lease_id:str}",
    opt={"problems": CITIZEN},
    tags=TAGS,
    summary="One lease, with the rent charged so far",
)
async def get_lease(ctx: NamedDependency[MiniAppContext], lease_id: FromPath[str]) -> LeaseOut:
    return await leases.get_lease(ctx.require_citizen(), lease_id)


@post(
    "/leases/{lease_id:str}/sign",
    opt={
        "problems": (
            *CITIZEN,
            ScopeRequired,
            RealNameRequired,
            LeaseNotOffered,
            OfferExpired,
            ListingUnavailable,
            Conflict,
            WalletSuspended,
            CreditLimitExceeded,
        )
    },
    status_code=200,
    tags=TAGS,
    summary="The tenant signs: the deposit is held on credit for the term (Idempotency-Key)",
    description="Needs identity.realname (the landlord's tenant register) and wallet.charge.",
    responses={200: ResponseSpec(data_container=LeaseOut, description="The running lease")},
)
async def sign_lease(
    request: Request[Any, Any, Any],
    ctx: NamedDependency[MiniAppContext],
    lease_id: FromPath[str],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    openid = ctx.require_citizen()

    async def run() -> LeaseOut:
        return await leases.sign(ctx, lease_id)

    return await idempotent(
        request,
        scope=f"miniapp:rental:{openid}",
        key=idempotency_key,
        required=True,
        status_code=200,
        run=run,
    )


@post(
    "/leases/{lease_id:str}/move-out",
    opt={"problems": (*CITIZEN, LeaseNotActive, Conflict)},
    status_code=200,
    tags=TAGS,
    summary="The landlord ends the lease at move-out: the deposit hold is voided",
    description="Idempotency-Key accepted.",
    responses={200: ResponseSpec(data_container=LeaseOut, description="The ended lease")},
)
async def move_out(
    request: Request[Any, Any, Any],
    ctx: NamedDependency[MiniAppContext],
    lease_id: FromPath[str],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    openid = ctx.require_citizen()

    async def run() -> LeaseOut:
        return await leases.move_out(ctx, lease_id)

    return await idempotent(
        request,
        scope=f"miniapp:rental:{openid}",
        key=idempotency_key,
        required=False,
        status_code=200,
        run=run,
    )


@get(
    "/landlord/register",
    opt={"problems": CITIZEN},
    tags=TAGS,
    summary="The landlord's tenant register: real names and per-app ID hashes, as the law asks",
)
async def tenant_register(
    ctx: NamedDependency[MiniAppContext], limit: LimitParam = 50, cursor: CursorParam = None
) -> Page[RegisterEntry]:
    items, next_cursor = await leases.tenant_register(ctx, limit, cursor)
    return Page(items, next_cursor)


router = Router(
    path="/",
    route_handlers=[
        create_listing,
        search_listings,
        get_listing,
        my_listings,
        book_viewing,
        list_viewings,
        cancel_viewing,
        offer_lease,
        list_leases,
        get_lease,
        sign_lease,
        move_out,
        tenant_register,
    ],
)
