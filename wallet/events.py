"""What the wallet announces, through the notifications outbox, inside the same transaction.

Kinds (agreed across domains): `hold.captured`, `hold.voided`, `hold.expired`, `hold.expiring`,
`refund.created` (the mini-app's webhook when it is an external app), and `wallet.captured`,
`wallet.refunded`, `wallet.due`, `wallet.overdue`, `wallet.suspended`, `wallet.benefit_paid`
(for the citizen).
`data` carries ids and amounts in fen, never personal data.

Every event with a citizen goes to that citizen's inbox, so an app-facing event that repeats
a citizen-facing one (`hold.captured` next to `wallet.captured`, `refund.created` next to
`wallet.refunded`) names no citizen: the app's webhook gets it, the inbox gets one message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wallet.lines import yuan


async def _publish(
    kind: str,
    citizen_id: str | None,
    title: str,
    body: str,
    *,
    miniapp: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    from notifications.outbox import publish

    await publish(kind, citizen_id=citizen_id, title=title, body=body, miniapp=miniapp, data=data)


async def captured(
    citizen_id: str, miniapp: str, hold_id: str, captured: int, released: int
) -> None:
    data = {"hold_id": hold_id, "captured": captured, "released": released}
    await _publish(
        "hold.captured",
        None,
        "预授权已扣款",
        f"扣款 {yuan(captured)}",
        miniapp=miniapp,
        data=data,
    )
    await _publish(
        "wallet.captured",
        citizen_id,
        "信用付扣款",
        f"{miniapp} 扣款 {yuan(captured)}，释放 {yuan(released)}",
        miniapp=miniapp,
        data=data,
    )


async def charged(citizen_id: str, miniapp: str, charge_id: str, amount: int) -> None:
    await _publish(
        "wallet.captured",
        citizen_id,
        "信用付扣款",
        f"{miniapp} 扣款 {yuan(amount)}",
        miniapp=miniapp,
        data={"charge_id": charge_id, "amount": amount},
    )


async def released(kind: str, citizen_id: str, miniapp: str, hold_id: str, amount: int) -> None:
    """`hold.voided` or `hold.expired`: the whole hold went back to the citizen's credit."""
    title = "预授权已撤销" if kind == "hold.voided" else "预授权已到期"
    await _publish(
        kind,
        citizen_id,
        title,
        f"{miniapp} 释放 {yuan(amount)}",
        miniapp=miniapp,
        data={"hold_id": hold_id, "amount": amount},
    )


async def expiring(citizen_id: str, miniapp: str, hold_id: str, amount: int, at: datetime) -> None:
    await _publish(
        "hold.expiring",
        citizen_id,
        "预授权即将到期",
        f"{miniapp} 的 {yuan(amount)} 预授权即将到期",
        miniapp=miniapp,
        data={"hold_id": hold_id, "amount": amount, "expires_at": at.isoformat()},
    )


async def refunded(
    citizen_id: str, miniapp: str, refund_id: str, amount: int, payout: int, of: dict[str, str]
) -> None:
    data: dict[str, Any] = {"refund_id": refund_id, "amount": amount, "payout": payout, **of}
    await _publish(
        "refund.created", None, "退款", f"退款 {yuan(amount)}", miniapp=miniapp, data=data
    )
    body = f"{miniapp} 退款 {yuan(amount)}"
    if payout:
        body += f"，其中 {yuan(payout)} 已退回您的还款账户"
    await _publish("wallet.refunded", citizen_id, "信用付退款", body, miniapp=miniapp, data=data)


async def due_soon(citizen_id: str, amount: int, due_at: datetime, last_day: str) -> None:
    await _publish(
        "wallet.due",
        citizen_id,
        "信用付账单即将到期",
        f"{yuan(amount)} 请于 {last_day} 前还款",
        data={"amount": amount, "due_at": due_at.isoformat()},
    )


async def overdue(citizen_id: str, amount: int) -> None:
    await _publish(
        "wallet.overdue",
        citizen_id,
        "信用付账单已逾期",
        f"逾期 {yuan(amount)}，请尽快还款",
        data={"amount": amount},
    )


async def suspended(citizen_id: str, amount: int) -> None:
    await _publish(
        "wallet.suspended",
        citizen_id,
        "信用付已暂停",
        f"还清逾期的 {yuan(amount)} 后即可恢复使用",
        data={"amount": amount},
    )


async def benefit_paid(
    citizen_id: str, miniapp: str, benefit_id: str, amount: int, repaid: int, memo: str
) -> None:
    """The citizen's inbox notice of a benefit (民生直达到账); no subscription is needed."""
    body = f"{memo or miniapp} 到账 {yuan(amount)}"
    if repaid:
        body += f"，其中 {yuan(repaid)} 已按您的选择偿还逾期信用付"
    await _publish(
        "wallet.benefit_paid",
        citizen_id,
        "民生直达到账",
        body,
        miniapp=miniapp,
        data={"benefit_id": benefit_id, "amount": amount, "repaid": repaid},
    )
