"""What the SDK gained for a programme that pays citizens (民生直达, the `benefits` app).

Two facades on `MiniAppContext`, each behind a manifest privilege that only an in-process
app installed by the operator can declare (the developer API has no such field):

- `ctx.directory` (`citizen_directory`): every real-name-verified citizen, as this app sees
  them (openid), with the facts a programme's rules judge: the birth date and the region of
  the verified ID, and the app's keyed hash of the ID number (the `id_hash` that
  `identity.realname` gives). The number itself never reaches the app. `id_hash(number)`
  hashes a number a department uploads the same way, so the app keeps only hashes.
- `ctx.payouts` (`payouts`): pay a citizen from one of the app's programme accounts through
  the wallet's ledger and payment channel, exactly once per key, optionally repaying an
  overdue pay-later balance first.

A benefit reaches people who never opened the app: it is the city paying what the law
owes them, not a consent flow; hence a privilege, not a scope.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import msgspec

from app.errors import Forbidden

if TYPE_CHECKING:
    from miniapps.context import MiniAppContext

DIRECTORY_CURSOR = "citizen-directory-cursor"


class CitizenFacts(msgspec.Struct, frozen=True):
    """One verified citizen as a programme judges them."""

    openid: str
    birth_date: date
    region_code: str  # the 6-digit GB/T 2260 code of the ID's issuing region
    id_hash: str  # this app's keyed hash of the ID number


class DirectoryPage(msgspec.Struct, frozen=True):
    items: list[CitizenFacts]
    next_cursor: str | None  # opaque; None when the directory has been read to its end


class PayoutOut(msgspec.Struct, frozen=True):
    payout_id: str
    amount: int
    repaid: int  # went to the citizen's overdue pay-later balance
    disbursed: int  # went out through the payment channel
    replayed: bool  # the key was paid before: nothing was booked this time


def _require(ctx: MiniAppContext, privilege: str) -> None:
    if privilege not in ctx.manifest.privileges:
        raise Forbidden(f"This mini-app does not hold the {privilege!r} privilege.")


class DirectoryFacade:
    """Every verified citizen, page by page, with the facts a programme's rules judge."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    async def page(self, cursor: str | None = None, limit: int = 500) -> DirectoryPage:
        """The next `limit` (1-5,000) citizens after `cursor` (None: from the start)."""
        from identity.service import verified_facts
        from miniapps.context import id_hash
        from miniapps.sdk_sealing import Sealer
        from miniapps.service import remember_openids

        ctx = self._ctx
        _require(ctx, "citizen_directory")
        if not 1 <= limit <= 5_000:
            raise ValueError("limit must be from 1 to 5,000")
        sealer = Sealer(ctx.slug)
        after = sealer.unseal(cursor, DIRECTORY_CURSOR) if cursor else None
        found, last = await verified_facts(after, limit)
        openids = await remember_openids(ctx.slug, [f.citizen_id for f in found])
        items = [
            CitizenFacts(
                openid=openids[f.citizen_id],
                birth_date=f.birth_date,
                region_code=f.region_code,
                id_hash=id_hash(ctx.slug, f.id_number),
            )
            for f in found
        ]
        next_cursor = sealer.seal(last, DIRECTORY_CURSOR) if last else None
        return DirectoryPage(items, next_cursor)

    def id_hash(self, id_number: str) -> str | None:
        """This app's keyed hash of an ID number (as `CitizenFacts.id_hash`); None when it
        is not a valid resident ID. Keep the hash, never the number."""
        from identity import idcard
        from miniapps.context import id_hash

        _require(self._ctx, "citizen_directory")
        if not isinstance(id_number, str) or not idcard.is_valid(id_number):
            return None
        return id_hash(self._ctx.slug, idcard.normalize(id_number))


class PayoutFacade:
    """Payments to citizens from the app's programme accounts, through the wallet's ledger."""

    def __init__(self, context: MiniAppContext) -> None:
        self._ctx = context

    async def pay(
        self,
        openid: str,
        amount: int,
        *,
        programme: str,
        key: str,
        memo: str = "",
        repay_overdue_first: bool = False,
    ) -> PayoutOut:
        """Pay `amount` fen from `programme:<slug>:<programme>` to the citizen, once per `key`.

        Joins the caller's `atomic()` (so the app's own guard, a budget, commits with it).
        The same key again answers the first payment with `replayed=True`; the same key for
        another citizen or amount is 409 `conflict`. The payment channel's refusal raises
        `PaymentFailed` (402 `payment_failed`) and nothing is booked.
        """
        from miniapps.service import citizen_for_openid
        from wallet.benefits import pay_benefit

        ctx = self._ctx
        _require(ctx, "payouts")
        citizen_id = await citizen_for_openid(ctx.slug, openid)
        if citizen_id is None:
            from app.errors import NotFound

            raise NotFound("No citizen has this openid for this mini-app.")
        paid = await pay_benefit(
            miniapp=ctx.slug,
            programme=programme,
            citizen_id=citizen_id,
            amount=amount,
            key=key,
            memo=memo,
            repay_overdue_first=repay_overdue_first,
        )
        return PayoutOut(paid.benefit_id, paid.amount, paid.repaid, paid.disbursed, paid.replayed)

    async def programme_total(self, programme: str) -> tuple[int, int]:
        """(payments, fen) the ledger booked from the programme: to reconcile a report."""
        from wallet.benefits import programme_paid

        _require(self._ctx, "payouts")
        return await programme_paid(self._ctx.slug, programme)
