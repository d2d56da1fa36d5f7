"""Journey: pay after treatment, from registration to an overdue bill and back.

A hospital sets itself up; a citizen consents, registers (a hold of the estimate), is found
by the health code at the hospital, treated (two charges), settled (the bill captured, the
rest released), sees the bill; the bill falls overdue, the wallet is suspended and the next
registration refused with the wallet's own error; repaying lifts it.
"""

from __future__ import annotations

from datetime import timedelta

from app.settings import get_settings
from tests.helpers import Api, problem
from tests.journeys.actors import grant, health_code, keyed, wallet
from tests.miniapps.medical.conftest import BASE, make_hospital

PLUS_DUE = timedelta(days=get_settings().due_days + 2)


async def all_hospitals(api: Api) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get(f"{BASE}/hospitals", params=params)).json()
        found |= {h["id"] for h in page["items"]}
        if not (cursor := page["next_cursor"]):
            return found


async def test_pay_after_treatment(api: Api) -> None:
    from wallet import clock

    hospital = await make_hospital(api, estimate=60_000, name="杭州市第一人民医院")
    patient = await api.citizen(name="王小明")
    code = await health_code(api, patient)
    await grant(api, patient, "medical", "wallet.charge")

    # Register on the app: the estimate is held.
    assert hospital.id in await all_hospitals(api)
    body = {"hospital_id": hospital.id, "department_id": hospital.department_id}
    registered = await api.client.post(f"{BASE}/visits", json=body, headers=keyed(patient.headers))
    assert registered.status_code == 201, registered.text
    visit_id = registered.json()["id"]
    assert (await wallet(api, patient))["held"] == 60_000

    # At the hospital: the health code is the medical card.
    card = await api.client.post(
        f"{BASE}/card-scans", json={"code": code}, headers=hospital.gate.headers
    )
    assert card.json()["visit"]["id"] == visit_id

    # Doctors and the pharmacy add charges; the cashier settles.
    for item, amount in (("诊查费", 2_500), ("药品", 18_700)):
        added = await api.client.post(
            f"{BASE}/visits/{visit_id}/charges",
            json={"item": item, "amount": amount},
            headers=keyed(hospital.gate.headers),
        )
        assert added.status_code == 201, added.text
    settled = await api.client.post(
        f"{BASE}/visits/{visit_id}/settle", headers=keyed(hospital.gate.headers)
    )
    assert settled.json()["captured"] == 21_200
    assert settled.json()["released"] == 60_000 - 21_200
    after = await wallet(api, patient)
    assert (after["held"], after["outstanding"]) == (0, 21_200)

    bills = await api.client.get(f"{BASE}/bills", headers=patient.headers)
    assert [b["amount"] for b in bills.json()["items"]] == [21_200]
    visits = await api.client.get(f"{BASE}/visits", headers=patient.headers)
    assert [v["status"] for v in visits.json()["items"]] == ["settled"]

    # The bill falls due under the wallet's rules; once overdue, no new registration.
    with clock.travel(PLUS_DUE):
        assert (await wallet(api, patient))["status"] == "suspended"
        refused = await api.client.post(f"{BASE}/visits", json=body, headers=keyed(patient.headers))
        problem(refused, 402, "wallet_suspended")
        assert (await wallet(api, patient))["held"] == 0

        repaid = await api.client.post(
            "/api/v1/wallet/repayments", json={"amount": 21_200}, headers=keyed(patient.headers)
        )
        assert repaid.status_code == 200, repaid.text
        assert repaid.json()["status"] == "active"
        again = await api.client.post(f"{BASE}/visits", json=body, headers=keyed(patient.headers))
        assert again.status_code == 201, again.text
        cancelled = await api.client.post(
            f"{BASE}/visits/{again.json()['id']}/cancel", headers=patient.headers
        )
        assert cancelled.json()["status"] == "cancelled"
    assert (await wallet(api, patient))["held"] == 0
