"""Demo data for `make run`: two programmes that pay the demo citizens on the first tick.

- 杭州市民生补贴 (Hangzhou household subsidy): everyone whose verified ID is from Hangzhou
  (`330100` and its districts), ¥200 once, paid today: both demo citizens (张三, 李四);
- 助残补贴 (disability allowance): the department's list, which names 李四, ¥300 a month
  from today.

Idempotent: the programmes have fixed ids and the list is keyed. The scheduler (every 10
minutes, and once soon after start-up) pays them; `GET /api/v1/miniapps/benefits/me/payments`
as 13800000001 or 13800000002 shows it, and an admin (`CITYBRAIN_ADMIN_PHONES`) reads the
report at `/api/v1/miniapps/benefits/programmes/{id}/report`.
"""

from __future__ import annotations

from typing import Any

from miniapps.benefits import rules as rulebook
from miniapps.benefits.schemas import RuleOut
from miniapps.sdk import MiniAppContext, atomic, fetch, local_today, new_id, now

# 李四's demo ID (identity's demo loader binds it): the department lists it, as a hash.
LISTED_DEMO_IDS = ("330102198512120016",)
DEMO_PROGRAMMES = (
    (
        "demo-household-subsidy",
        "杭州市民生补贴 Hangzhou household subsidy",
        20_000,
        100_000_000,
        "once",
        [RuleOut("region", regions=["330100"])],
    ),
    (
        "demo-disability-allowance",
        "助残补贴 Disability allowance",
        30_000,
        10_000_000,
        "monthly",
        [RuleOut("list")],
    ),
)


async def seed(context: dict[str, Any]) -> None:
    from miniapps.benefits import manifest

    ctx = MiniAppContext(manifest=manifest)
    today = local_today()
    day = today.replace(day=min(today.day, 28))
    async with atomic():
        for programme_id, name, amount, budget, frequency, rules in DEMO_PROGRAMMES:
            await fetch(
                "INSERT INTO benefits_programme (id, name, amount, budget, spent, frequency, "
                "payment_day, rules, status, created_by, created_at) "
                "VALUES ({}, {}, {}, {}, 0, {}, {}, {}, 'active', 'demo', {}) "
                "ON CONFLICT (id) DO NOTHING",
                programme_id,
                name,
                amount,
                budget,
                frequency,
                today if frequency == "once" else day,
                rulebook.encode(rules),
                now(),
            )
        for number in LISTED_DEMO_IDS:
            hashed = ctx.directory.id_hash(number)
            assert hashed is not None
            await fetch(
                "INSERT INTO benefits_listed (id, programme_id, listed_key, created_at) "
                "VALUES ({}, {}, {}, {}) ON CONFLICT (listed_key) DO NOTHING",
                new_id(),
                "demo-disability-allowance",
                f"demo-disability-allowance:{hashed}",
                now(),
            )
    context.setdefault("benefits", [p[0] for p in DEMO_PROGRAMMES])
