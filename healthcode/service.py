"""Health-code logic: declarations, check-ins, the status and its code, overrides, risk regions.

The only code (with scans.py and exposure.py) that queries healthcode's tables. Every colour
change is one transaction that writes the status, a history event and the
`healthcode.colour_changed` outbox event together. Other domains call `current_colour` and
`resolve_code`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from app.database import atomic, fetch, fetch_one, is_postgres
from app.errors import FieldError, NotFound, ValidationFailed
from app.jobs import enqueue_after_commit
from app.security import new_id
from healthcode import codes, model
from healthcode.clock import clock, local_day
from healthcode.errors import DeclarationRequired
from healthcode.rules import RANK, Verdict, active_ruleset
from healthcode.schemas import (
    CheckInIn,
    CodeCheck,
    DeclarationIn,
    RiskRegionIn,
    RiskRegionOut,
    RiskRegions,
    Status,
)

VISIT_WINDOW = timedelta(days=14)
RECOMPUTE_CHUNK = 200
COLOUR_NAMES = {"green": "绿码", "yellow": "黄码", "red": "红码"}
_STATUS_COLUMNS = (
    "citizen_id, name_masked, colour, rule_id, reason, since, restart_day, streak, last_checkin_day"
)


def as_utc(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError("not a timestamp")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def region_prefix(code: str) -> str:
    """A listed region covers its sub-regions: `330100` → `3301`, `330000` → `33`."""
    prefix = code
    while len(prefix) > 2 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


def _state(row: dict[str, Any]) -> model.State:
    return model.State(
        colour=row["colour"],
        rule_id=row["rule_id"],
        reason=row["reason"],
        since=as_utc(row["since"]),
        restart_day=row["restart_day"],
        streak=int(row["streak"]),
        last_checkin_day=row["last_checkin_day"],
    )


async def _status_row(citizen_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock and is_postgres() else ""
    return await fetch_one(
        f"SELECT {_STATUS_COLUMNS} FROM hc_status WHERE citizen_id = {{}}{suffix}", citizen_id
    )


async def _locked_state(citizen_id: str, now: datetime, create: bool) -> model.State | None:
    """The citizen's state inside the current transaction, created green when `create`."""
    row = await _status_row(citizen_id, lock=True)
    if row is None and create:
        from identity.service import citizen_brief

        brief = await citizen_brief(citizen_id)
        start = model.initial(active_ruleset(), now)
        await fetch(
            "INSERT INTO hc_status (citizen_id, name_masked, colour, rule_id, reason, since, "
            "restart_day, streak, last_checkin_day, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, 0, NULL, {}) ON CONFLICT (citizen_id) DO NOTHING",
            citizen_id,
            brief.name_masked if brief else None,
            start.colour,
            start.rule_id,
            start.reason,
            now,
            start.restart_day,
            now,
        )
        row = await _status_row(citizen_id, lock=True)
    return _state(row) if row is not None else None


async def _save(
    citizen_id: str,
    before: model.State | None,
    after: model.State,
    *,
    kind: str,
    now: datetime,
    actor_id: str | None = None,
    event: bool = True,
) -> None:
    """Write the new state; on a colour change also a history event and the outbox event."""
    if after != before:
        await fetch(
            "UPDATE hc_status SET colour = {}, rule_id = {}, reason = {}, since = {}, "
            "restart_day = {}, streak = {}, last_checkin_day = {}, updated_at = {} "
            "WHERE citizen_id = {}",
            after.colour,
            after.rule_id,
            after.reason,
            after.since,
            after.restart_day,
            after.streak,
            after.last_checkin_day,
            now,
            citizen_id,
        )
    previous = before.colour if before is not None else "green"
    if event and (previous != after.colour or kind == "override"):
        await _event(citizen_id, kind, previous, after, now, actor_id)
    if previous != after.colour:
        from notifications.outbox import publish

        worse = RANK[after.colour] > RANK[previous]
        await publish(
            "healthcode.colour_changed",
            citizen_id=citizen_id,
            title=f"健康码已变为{COLOUR_NAMES[after.colour]}",
            body=after.reason,
            data={"colour": after.colour, "previous": previous, "rule_id": after.rule_id},
            urgent=worse,
        )


async def _event(
    citizen_id: str,
    kind: str,
    before: str | None,
    after: model.State,
    now: datetime,
    actor_id: str | None = None,
    dedupe_key: str | None = None,
) -> bool:
    rows = await fetch(
        "INSERT INTO hc_event (id, citizen_id, kind, colour_before, colour_after, rule_id, "
        "reason, actor_id, dedupe_key, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        new_id(),
        citizen_id,
        kind,
        before,
        after.colour,
        after.rule_id,
        after.reason,
        actor_id,
        dedupe_key,
        now,
    )
    return bool(rows)


async def status_out(
    citizen_id: str, state: model.State, now: datetime, *, with_code: bool = True
) -> Status:
    issued = await codes.issue(citizen_id, state.colour, now) if with_code else None
    return Status(
        colour=state.colour,  # type: ignore[arg-type]
        reason=state.reason,
        rule_id=state.rule_id,
        since=state.since,
        checkins_remaining=model.checkins_remaining(state, active_ruleset(), now),
        code=issued.code if issued else None,
        code_expires_at=issued.expires_at if issued else None,
    )


# Citizens ----------------------------------------------------------------------------------


async def get_status(citizen_id: str) -> Status:
    row = await _status_row(citizen_id)
    if row is None:
        raise DeclarationRequired("Submit a health declaration to get a health code.")
    return await status_out(citizen_id, _state(row), clock.now())


async def get_state(citizen_id: str) -> model.State:
    row = await _status_row(citizen_id)
    if row is None:
        raise DeclarationRequired("Submit a health declaration to get a health code.")
    return _state(row)


async def _risk_levels(visited: list[str]) -> list[str]:
    if not visited:
        return []
    listed = await fetch("SELECT code, level FROM hc_risk_region")
    levels = {
        row["level"]
        for row in listed
        for code in visited
        if code.startswith(region_prefix(row["code"]))
    }
    return sorted(levels)


async def declare(citizen_id: str, data: DeclarationIn) -> Status:
    now = clock.now()
    symptoms = sorted(set(data.symptoms))
    visited = sorted(set(data.visited_regions))
    facts = {
        "temperature_c": data.temperature_c,
        "symptoms": symptoms,
        "close_contact": data.close_contact,
        "visited_risk_levels": await _risk_levels(visited),
    }
    verdict = active_ruleset().evaluate(facts)
    async with atomic():
        await fetch(
            "INSERT INTO hc_declaration (id, citizen_id, temperature_c, symptoms, close_contact, "
            "colour, rule_id, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            new_id(),
            citizen_id,
            float(data.temperature_c),
            ",".join(symptoms),
            bool(data.close_contact),
            verdict.colour,
            verdict.rule_id,
            now,
        )
        for code in visited:
            await fetch(
                "INSERT INTO hc_visit (citizen_id, region_code, declared_at) VALUES ({}, {}, {})",
                citizen_id,
                code,
                now,
            )
        state = await _locked_state(citizen_id, now, create=True)
        assert state is not None
        after = model.raise_to(state, verdict, now)
        await _save(citizen_id, state, after, kind="declaration", now=now)
    return await status_out(citizen_id, after, now)


async def check_in(citizen_id: str, data: CheckInIn) -> Status:
    now = clock.now()
    ruleset = active_ruleset()
    symptoms = sorted(set(data.symptoms))
    verdict = ruleset.evaluate({"temperature_c": data.temperature_c, "symptoms": symptoms})
    async with atomic():
        state = await _locked_state(citizen_id, now, create=False)
        if state is None:
            raise DeclarationRequired("Submit a health declaration before daily check-ins.")
        await fetch(
            "INSERT INTO hc_checkin (id, citizen_id, day, temperature_c, symptoms, normal, "
            "created_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
            new_id(),
            citizen_id,
            local_day(now).isoformat(),
            float(data.temperature_c),
            ",".join(symptoms),
            verdict.colour == "green",
            now,
        )
        if verdict.colour == "green":
            after = model.normal_checkin(state, ruleset, now)
        else:
            after = model.raise_to(state, verdict, now)
        await _save(citizen_id, state, after, kind="checkin", now=now)
    return await status_out(citizen_id, after, now)


# Health officials --------------------------------------------------------------------------


async def override(actor_id: str, citizen_id: str, colour: str, reason: str) -> Status:
    from identity.service import citizen_brief, record_audit

    if not reason.strip():
        raise ValidationFailed(errors=[FieldError("reason", "say why, for the citizen to read")])
    if await citizen_brief(citizen_id) is None:
        raise NotFound("No such citizen.")
    now = clock.now()
    async with atomic():
        state = await _locked_state(citizen_id, now, create=True)
        assert state is not None
        after = model.override(state, active_ruleset(), colour, reason.strip(), now)
        await _save(citizen_id, state, after, kind="override", now=now, actor_id=actor_id)
        await record_audit(actor_id, "healthcode.override", f"citizen:{citizen_id}:{colour}")
    return await status_out(citizen_id, after, now, with_code=False)


async def apply_cause(
    citizen_id: str,
    verdict: Verdict,
    *,
    kind: str,
    now: datetime,
    dedupe_key: str | None = None,
    create: bool = False,
) -> bool:
    """Raise one citizen by a cause found by a job or a trace (inside a transaction).

    With a `dedupe_key`, a cause already applied (a retried job) changes nothing."""
    state = await _locked_state(citizen_id, now, create=create)
    if state is None:
        return False
    after = model.raise_to(state, verdict, now)
    if dedupe_key is not None and not await _event(
        citizen_id, kind, state.colour, after, now, dedupe_key=dedupe_key
    ):
        return False
    await _save(citizen_id, state, after, kind=kind, now=now, event=dedupe_key is None)
    return after != state


async def risk_regions() -> list[RiskRegionOut]:
    rows = await fetch("SELECT code, level, listed_at FROM hc_risk_region ORDER BY code")
    return [RiskRegionOut(r["code"], r["level"], as_utc(r["listed_at"])) for r in rows]


async def replace_risk_regions(actor_id: str, regions: list[RiskRegionIn]) -> RiskRegions:
    """Replace the list; regions newly risky (or riskier) recompute their visitors in a job."""
    from healthcode.tasks import recompute_region
    from identity.service import record_audit

    codes_seen = [r.code for r in regions]
    if len(set(codes_seen)) != len(codes_seen):
        raise ValidationFailed(errors=[FieldError("regions", "each region code only once")])
    now = clock.now()
    newly: list[str] = []
    async with atomic():
        old = {r.code: r for r in await risk_regions()}
        await fetch("DELETE FROM hc_risk_region")
        for region in regions:
            before = old.get(region.code)
            riskier = before is None or (before.level == "medium" and region.level == "high")
            listed_at = now if riskier or before is None else before.listed_at
            await fetch(
                "INSERT INTO hc_risk_region (code, level, listed_at) VALUES ({}, {}, {})",
                region.code,
                region.level,
                listed_at,
            )
            if riskier:
                newly.append(region.code)
                enqueue_after_commit(
                    recompute_region,
                    job_id=f"hc-region:{region.code}:{region.level}:{listed_at.isoformat()}",
                    code=region.code,
                    level=region.level,
                    listed_at=listed_at.isoformat(),
                )
        await record_audit(
            actor_id, "healthcode.risk_regions", f"regions:{len(regions)}:newly_risky:{len(newly)}"
        )
    return RiskRegions(await risk_regions(), newly)


async def recompute_region(code: str, level: str, listed_at: str) -> int:
    """Raise everyone who declared a visit to `code` (or below it) in the last 14 days.

    Idempotent: each citizen's raise carries a key naming this listing, so a retried job
    changes nobody twice. A listing replaced since (another level) is left to its own job."""
    row = await fetch_one("SELECT level, listed_at FROM hc_risk_region WHERE code = {}", code)
    if row is None or row["level"] != level:
        return 0
    now = clock.now()
    visitors = await fetch(
        "SELECT DISTINCT citizen_id FROM hc_visit WHERE declared_at >= {} AND region_code LIKE {}",
        now - VISIT_WINDOW,
        region_prefix(code) + "%",
    )
    verdict = active_ruleset().evaluate({"visited_risk_levels": [level]})
    changed = 0
    ids = [v["citizen_id"] for v in visitors]
    for start in range(0, len(ids), RECOMPUTE_CHUNK):
        async with atomic():
            for citizen_id in ids[start : start + RECOMPUTE_CHUNK]:
                key = f"region:{code}:{level}:{listed_at}:{citizen_id}"
                changed += await apply_cause(
                    citizen_id, verdict, kind="region", now=now, dedupe_key=key
                )
    return changed


# Other domains -----------------------------------------------------------------------------


async def current_colour(citizen_id: str) -> str | None:
    """The citizen's colour now; None when they never declared."""
    row = await fetch_one("SELECT colour FROM hc_status WHERE citizen_id = {}", citizen_id)
    return str(row["colour"]) if row is not None else None


async def resolve_code(code: str) -> CodeCheck:
    """Check a presented code like an online gate (colour now), writing no scan record."""
    try:
        verified = await codes.verify(code, clock.now())
    except codes.CodeRejected as rejected:
        return CodeCheck(None, None, rejected.reason)  # type: ignore[arg-type]
    colour = await current_colour(verified.citizen_id)
    if colour is None:
        return CodeCheck(None, None, "unknown_person")
    return CodeCheck(verified.citizen_id, colour, None)  # type: ignore[arg-type]


async def sign_detached(payload: bytes) -> str:
    """A JWS over `payload` with it detached (RFC 7515 appendix F: `header..signature`), by
    the active code-signing key: whoever trusts our codes (other cities, our gates) verifies
    documents we publish with the same `/.well-known/jwks.json`."""
    from healthcode.keys import signing_key

    kid, key = await signing_key()
    # PyJWT's own `is_payload_detached` signs the unencoded payload (RFC 7797, `b64: false`),
    # which few verifiers take: sign the usual way, then leave the payload out.
    signed: str = jwt.api_jws.encode(
        payload, key, algorithm="ES256", headers={"kid": kid, "typ": None}
    )
    protected, _, signature = signed.split(".")
    return f"{protected}..{signature}"
