"""Journey: 民生直达, a benefit from the programme's definition to the citizen's bank card.

A platform admin defines an old-age allowance for the department's list of people aged 60 and
over, uploads the list, and starts the payment day's run. Two listed pensioners are paid once:
one straight out through the payment channel, the other (who chose it) first repaying an
overdue pay-later bill, which lifts the wallet's suspension. A listed person under 60 and an
unlisted one are paid nothing. Each paid citizen sees the payment and an inbox notice; the
report matches the ledger to the fen; a second run pays nobody twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from miniapps.sdk import local_today
from tests.app.portal import in_app
from tests.helpers import Api, problem
from tests.miniapps.benefits.conftest import BASE, benefits_time  # noqa: F401
from tests.miniapps.benefits.people import channel, person
from tests.miniapps.parking.drivers import wallet_time
from tests.notifications.helpers import settle


def born(years: int) -> date:
    today = local_today()
    if (today.month, today.day) == (2, 29):
        today -= timedelta(days=1)
    return today.replace(year=today.year - years)


async def test_an_allowance_reaches_every_eligible_citizen_once(api: Api) -> None:
    from wallet.service import charge

    admin = await api.with_role("platform_admin")
    pensioner = await person(api, born(72))
    indebted = await person(api, born(65))
    too_young = await person(api, born(59))
    unlisted = await person(api, born(80))

    allowance = {
        "name": "高龄津贴",
        "amount": 20_000,
        "budget": 10_000_000,
        "payment_day": local_today().isoformat(),
        "rules": [{"kind": "list"}, {"kind": "age", "min_age": 60}],
    }
    created = await api.client.post(
        f"{BASE}/programmes",
        json=allowance,
        headers={**admin.headers, "Idempotency-Key": "allowance-2026"},
    )
    assert created.status_code == 201, created.text
    programme = created.json()["id"]
    refused = await api.client.post(f"{BASE}/programmes", json=allowance, headers=pensioner.headers)
    problem(refused, 403, "forbidden")

    listed = await api.client.post(
        f"{BASE}/programmes/{programme}/list",
        json={"id_numbers": [p.id_number for p in (pensioner, indebted, too_young)]},
        headers=admin.headers,
    )
    assert listed.json()["added"] == 3, listed.text

    await in_app(api.client, charge, indebted.id, "park", 5_000, "门票")
    chose = await api.client.put(
        f"{BASE}/me/preferences", json={"repay_overdue_first": True}, headers=indebted.headers
    )
    assert chose.status_code == 200

    with wallet_time(timedelta(days=12)), channel() as bank:
        assert (await api.client.get("/api/v1/wallet", headers=indebted.headers)).json()[
            "status"
        ] == "suspended"
        started = await api.client.post(
            f"{BASE}/programmes/{programme}/runs", headers=admin.headers
        )
        assert started.status_code == 202 and started.json()["queued"] is True
        await settle(api)
        again = await api.client.post(f"{BASE}/programmes/{programme}/runs", headers=admin.headers)
        assert again.status_code == 202
        await settle(api)
        wallet = (await api.client.get("/api/v1/wallet", headers=indebted.headers)).json()
    assert (wallet["status"], wallet["outstanding"]) == ("active", 0)
    assert sorted(amount for _, amount, _ in bank.disbursed) == [15_000, 20_000]

    for citizen, repaid in ((pensioner, 0), (indebted, 5_000)):
        mine = await api.client.get(f"{BASE}/me/payments", headers=citizen.headers)
        [payment] = mine.json()["items"]
        assert (payment["status"], payment["amount"], payment["repaid"]) == (
            "paid",
            20_000,
            repaid,
        )
        inbox = await api.client.get("/api/v1/notifications", headers=citizen.headers)
        assert any(n["title"] == "民生直达到账" for n in inbox.json()["items"])
    for citizen in (too_young, unlisted):
        mine = await api.client.get(f"{BASE}/me/payments", headers=citizen.headers)
        assert mine.json()["items"] == []

    report = (
        await api.client.get(f"{BASE}/programmes/{programme}/report", headers=admin.headers)
    ).json()
    assert (report["eligible"], report["paid"], report["failed"]) == (2, 2, 0)
    assert report["paid_amount"] == report["ledger_amount"] == report["spent"] == 40_000
    assert report["ledger_payments"] == 2
    audit = await api.client.get("/api/v1/admin/audit", headers=(await api.admin()).headers)
    actions = {e["action"] for e in audit.json()["items"] if programme in e["target"]}
    assert {"benefits.programme.create", "benefits.programme.list", "benefits.programme.run"} <= (
        actions
    )
