"""Gate scans: online codes, ID cards and offline batches, written to the scan log.

The online path is the hot one: the code's signature is checked by the checker process
(`healthcode.signatures`) against in-memory keys, the subject is opened without a query, one
indexed point read (inline on the loop) gives the colour, the masked name and whether this
code's jti was already used at another venue, the venue's admission policy comes from a short
in-process cache, and the record is committed in a group with the scans that arrived
meanwhile (one multi-row insert for all of them) before the answer is sent.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from app import metrics
from app.database import atomic, fetch, fetch_one, fetch_point
from app.security import new_time_id
from app.settings import get_settings
from healthcode import codes, partitions
from healthcode.clock import clock
from healthcode.scan_log import MAX_BATCH, REPLAYED, Row, insert, purge_claims, writer
from healthcode.schemas import OfflineResult, OfflineScanItem, Rejected, ScanOut
from identity.auth import GatePrincipal
from recognition import gate as foreign

VENUE_CACHE_SECONDS = 30.0
OFFLINE_FUTURE_SKEW = timedelta(minutes=5)
CLAIMS_KEPT = timedelta(hours=1)
_venues: dict[str, tuple[float, frozenset[str], bool]] = {}
_recent_jti: dict[str, tuple[str, float]] = {}  # jti → (venue, expiry): the uncommitted window


# "Scanned at another venue" as two probes of (jti, venue_id), not a walk over this venue's
# own repeated scans of the code. Every record of a code lies within its lifetime (± the
# clock skew): that bound lets PostgreSQL read only the day partitions of that lifetime.
REPLAY_PROBE = (
    "SELECT s.colour, s.name_masked, "
    "EXISTS (SELECT 1 FROM hc_scan r WHERE r.jti = {} AND r.venue_id < {} "
    "AND r.scanned_at >= {} AND r.scanned_at <= {}) "
    "OR EXISTS (SELECT 1 FROM hc_scan r WHERE r.jti = {} AND r.venue_id > {} "
    "AND r.scanned_at >= {} AND r.scanned_at <= {}) "
    "AS other_venue FROM hc_status s WHERE s.citizen_id = {}"
)


def code_span(verified: codes.VerifiedCode) -> tuple[datetime, datetime]:
    """When a record of this code can have been made: online from `issued_at - skew` (a
    code from the future is refused) to `expires_at`, offline up to `expires_at + skew`."""
    skew = timedelta(seconds=codes.CLOCK_SKEW_SECONDS)
    return verified.issued_at - skew, verified.expires_at + skew


def replay_probe_args(verified: codes.VerifiedCode, venue_id: str) -> tuple[Any, ...]:
    start, end = code_span(verified)
    jti = verified.jti
    return (jti, venue_id, start, end, jti, venue_id, start, end, verified.citizen_id)


async def admission(venue_id: str) -> frozenset[str]:
    """The colours the venue admits (cached briefly: a policy change applies within 30 s)."""
    return (await _policy(venue_id))[0]


async def _policy(venue_id: str) -> tuple[frozenset[str], bool]:
    """(colours admitted, whether other issuers' codes may pass), cached for 30 s."""
    cached = _venues.get(venue_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    from identity.service import get_venue

    venue = await get_venue(venue_id)
    colours = frozenset(venue["admission"]) if venue else frozenset({"green"})
    foreign_codes = bool(venue["foreign_codes"]) if venue else False
    _venues[venue_id] = (time.monotonic() + VENUE_CACHE_SECONDS, colours, foreign_codes)
    return colours, foreign_codes


def _remember_jti(jti: str, venue_id: str) -> str | None:
    """Note this code at this venue; return another venue already seen in this process."""
    now = time.monotonic()
    if len(_recent_jti) > 50_000:
        for key in [k for k, (_, expiry) in _recent_jti.items() if expiry < now]:
            del _recent_jti[key]
    seen = _recent_jti.get(jti)
    if seen is not None and seen[1] >= now and seen[0] != venue_id:
        return seen[0]
    _recent_jti[jti] = (venue_id, now + codes.LIFETIME_SECONDS + codes.CLOCK_SKEW_SECONDS)
    return None


async def _answer(
    gate: GatePrincipal,
    now: datetime,
    *,
    source: str,
    citizen_id: str | None,
    colour: str | None,
    name_masked: str | None,
    reason: str | None,
    jti: str | None = None,
    flagged: bool = False,
    show: bool = True,
    subject_hash: str | None = None,
) -> ScanOut:
    """Commit the scan record, then return what the gate may see."""
    scan_id = new_time_id()
    result = "deny" if reason else "pass"
    replayed = await writer.write(
        (
            scan_id,
            gate.venue_id,
            gate.gate_id,
            citizen_id,
            jti,
            source,
            result,
            reason,
            colour,
            flagged,
            now,
            now,
            subject_hash,
        )
    )
    if replayed:  # another venue held this code first (maybe in another process)
        result, reason, show = "deny", REPLAYED, False
    metrics.count_scan(source, result, reason)  # committed: the writer has answered
    return ScanOut(
        scan_id=scan_id,
        result=result,  # type: ignore[arg-type]
        colour=colour if show else None,  # type: ignore[arg-type]
        name_masked=name_masked if show else None,
        reason=reason,  # type: ignore[arg-type]
        scanned_at=now,
    )


async def _decide(gate: GatePrincipal, colour: str) -> str | None:
    return None if colour in await admission(gate.venue_id) else f"colour_{colour}"


async def _name(citizen_id: str, stored: str | None) -> str | None:
    if stored is not None:
        return stored
    from identity.service import citizen_brief

    brief = await citizen_brief(citizen_id)
    return brief.name_masked if brief else None


async def _scan_foreign(gate: GatePrincipal, code: str, now: datetime) -> ScanOut:
    """Another issuer's code: verified with the trust list, recorded under a keyed hash."""
    judged = await foreign.judge(code, now)
    reason = judged.reason
    if reason is None and not (await _policy(gate.venue_id))[1]:
        reason = "foreign_code_refused"
    elif reason is None and judged.colour is not None:
        reason = await _decide(gate, judged.colour)
    return await _answer(
        gate,
        now,
        source="code",
        citizen_id=None,
        colour=judged.colour,
        name_masked=judged.name_masked,
        reason=reason,
        subject_hash=judged.subject_hash,
    )


async def scan_code(gate: GatePrincipal, code: str) -> ScanOut:
    """An online scan: decided on the holder's colour now, under the venue's policy."""
    now = clock.now()
    try:
        verified = await codes.verify(code, now)
    except codes.CodeRejected as rejected:
        if rejected.citizen_id is None and foreign.is_foreign(code):
            return await _scan_foreign(gate, code, now)
        return await _answer(
            gate,
            now,
            source="code",
            citizen_id=rejected.citizen_id,
            colour=None,
            name_masked=None,
            reason=rejected.reason,
        )
    citizen_id, jti = verified.citizen_id, verified.jti
    row = await fetch_point(REPLAY_PROBE, *replay_probe_args(verified, gate.venue_id))
    if row is None:
        return await _answer(
            gate,
            now,
            source="code",
            citizen_id=None,
            colour=None,
            name_masked=None,
            reason="unknown_person",
            jti=jti,
        )
    seen_elsewhere = _remember_jti(jti, gate.venue_id)
    if seen_elsewhere is not None or row["other_venue"]:
        return await _answer(
            gate,
            now,
            source="code",
            citizen_id=citizen_id,
            colour=row["colour"],
            name_masked=None,
            reason=REPLAYED,
            jti=jti,
            flagged=True,
            show=False,
        )
    colour = str(row["colour"])
    return await _answer(
        gate,
        now,
        source="code",
        citizen_id=citizen_id,
        colour=colour,
        name_masked=await _name(citizen_id, row["name_masked"]),
        reason=await _decide(gate, colour),
        jti=jti,
    )


async def scan_id_card(gate: GatePrincipal, id_number: str) -> ScanOut:
    """Sensorless verification: the ID card's number, looked up by its keyed hash."""
    from identity.service import citizen_by_id_number

    now = clock.now()
    brief = await citizen_by_id_number(id_number)
    row = (
        await fetch_one("SELECT colour FROM hc_status WHERE citizen_id = {}", brief.id)
        if brief is not None
        else None
    )
    if brief is None or row is None:
        return await _answer(
            gate,
            now,
            source="id_card",
            citizen_id=brief.id if brief else None,
            colour=None,
            name_masked=None,
            reason="unknown_person",
            show=False,
        )
    colour = str(row["colour"])
    return await _answer(
        gate,
        now,
        source="id_card",
        citizen_id=brief.id,
        colour=colour,
        name_masked=brief.name_masked,
        reason=await _decide(gate, colour),
    )


async def _offline_row(
    gate: GatePrincipal, raw: Any, now: datetime
) -> tuple[Row | None, Rejected | None]:
    scan_id = raw.get("scan_id") if isinstance(raw, dict) else None
    label = scan_id if isinstance(scan_id, str) and len(scan_id) <= 64 else None
    try:
        item = msgspec.convert(raw, OfflineScanItem)
        scan_id = str(uuid.UUID(item.scan_id))
    except (msgspec.ValidationError, ValueError, TypeError):
        return None, Rejected(label, "invalid_item")
    scanned_at = item.scanned_at
    retention = timedelta(days=get_settings().scan_retention_days)
    if scanned_at.tzinfo is None or not now - retention < scanned_at < now + OFFLINE_FUTURE_SKEW:
        return None, Rejected(label, "invalid_scanned_at")
    try:
        verified = await codes.verify(item.code, scanned_at, check_expiry=False, retired_keys=True)
    except codes.CodeRejected as rejected:
        if rejected.citizen_id is None and foreign.is_foreign(item.code):
            return await _offline_foreign_row(gate, item, scan_id, now)
        return None, Rejected(label, rejected.reason)
    skew = timedelta(seconds=codes.CLOCK_SKEW_SECONDS)
    if not verified.issued_at - skew <= scanned_at <= verified.expires_at + skew:
        return None, Rejected(label, "code_expired")
    reason = f"colour_{verified.colour}" if item.result == "deny" else None
    row = (
        scan_id,
        gate.venue_id,
        gate.gate_id,
        verified.citizen_id,
        verified.jti,
        "offline",
        item.result,
        reason,
        verified.colour,
        False,
        scanned_at,
        now,
        None,
    )
    return row, None


async def _offline_foreign_row(
    gate: GatePrincipal, item: OfflineScanItem, scan_id: str, now: datetime
) -> tuple[Row | None, Rejected | None]:
    """Another issuer's code scanned offline: judged with the trust list as it is now, at the
    moment of the scan (a code that was valid then is recorded, whatever its age now)."""
    judged = await foreign.judge(item.code, item.scanned_at)
    if judged.reason is not None:
        return None, Rejected(scan_id, judged.reason)
    reason = f"colour_{judged.colour}" if item.result == "deny" else None
    row = (
        scan_id,
        gate.venue_id,
        gate.gate_id,
        None,
        None,
        "offline",
        item.result,
        reason,
        judged.colour,
        False,
        item.scanned_at,
        now,
        judged.subject_hash,
    )
    return row, None


async def upload_offline(gate: GatePrincipal, items: list[Any]) -> OfflineResult:
    """Record scans a gate made offline; idempotent by scan_id; bad items rejected alone."""
    now = clock.now()
    rows: dict[str, Row] = {}
    rejected: list[Rejected] = []
    in_batch_duplicates = 0
    for raw in items:
        row, problem = await _offline_row(gate, raw, now)
        if problem is not None:
            rejected.append(problem)
        elif row is not None and row[0] in rows:
            in_batch_duplicates += 1
        elif row is not None:
            rows[row[0]] = row
    rows = await _known_people(rows, rejected)
    rows = await _flag_replays(rows, gate.venue_id)
    inserted: list[str] = []
    async with atomic():
        batch = list(rows.values())
        for start in range(0, len(batch), MAX_BATCH):
            added = await insert(batch[start : start + MAX_BATCH], skip_duplicates=True)
            inserted.extend(str(r["id"]) for r in added)
    for scan_id in inserted:
        metrics.count_scan("offline", rows[scan_id][6], rows[scan_id][7])
    accepted = len(inserted)
    duplicates = len(rows) - accepted + in_batch_duplicates
    return OfflineResult(accepted=accepted, duplicates=duplicates, rejected=rejected)


def _marks(count: int) -> str:
    return ", ".join(["{}"] * count)


async def _known_people(rows: dict[str, Row], rejected: list[Rejected]) -> dict[str, Row]:
    ids = sorted({row[3] for row in rows.values() if row[3] is not None})
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found = await fetch(
            f"SELECT citizen_id FROM hc_status WHERE citizen_id IN ({_marks(len(chunk))})",
            *chunk,
        )
        known.update(r["citizen_id"] for r in found)
    kept = {}
    for scan_id, row in rows.items():
        if row[3] in known or (row[3] is None and row[12] is not None):  # a foreign holder
            kept[scan_id] = row
        else:
            rejected.append(Rejected(scan_id, "unknown_person"))
    return kept


async def _flag_replays(rows: dict[str, Row], venue_id: str) -> dict[str, Row]:
    """Flag an offline record whose code was used at another venue (no denial: it is past)."""
    jtis = sorted({row[4] for row in rows.values() if row[4] is not None})
    if not jtis:
        return rows
    # A record of the same code lies within a lifetime (+ skews) of each offline scan of it.
    reach = timedelta(seconds=codes.LIFETIME_SECONDS + 2 * codes.CLOCK_SKEW_SECONDS)
    times = [row[10] for row in rows.values() if row[4] is not None]
    earliest, latest = min(times) - reach, max(times) + reach
    elsewhere: set[str] = set()
    for start in range(0, len(jtis), 500):
        chunk = jtis[start : start + 500]
        found = await fetch(
            f"SELECT DISTINCT jti FROM hc_scan WHERE jti IN ({_marks(len(chunk))}) "
            "AND venue_id <> {} AND scanned_at >= {} AND scanned_at <= {}",
            *chunk,
            venue_id,
            earliest,
            latest,
        )
        elsewhere.update(r["jti"] for r in found)
    return {k: (row[:9] + (row[4] in elsewhere,) + row[10:]) for k, row in rows.items()}


async def purge_expired(
    now: datetime | None = None, retention_days: int | None = None, chunk: int = 5000
) -> int:
    """Delete scan records past the retention period (CITYBRAIN_SCAN_RETENTION_DAYS), a chunk
    per transaction; declarations, visits and check-ins go after max(retention, 14 days).
    On partitioned PostgreSQL the days that ended before the cutoff are dropped whole; only
    the day the cutoff falls in and the default partition are deleted from by rows."""
    now = now or clock.now()
    retention = timedelta(days=retention_days or get_settings().scan_retention_days)
    cutoff = now - retention
    purged = 0
    delete = (
        "DELETE FROM hc_scan WHERE id IN (SELECT id FROM hc_scan WHERE scanned_at < {} "
        f"LIMIT {int(chunk)}) RETURNING id"
    )
    if await partitions.is_partitioned():
        purged, _ = await partitions.drop_expired(cutoff)
        # The key is (id, scanned_at), and the time bound keeps both scans to the partitions
        # left below the cutoff (the cutoff's own day and the default one).
        delete = (
            "DELETE FROM hc_scan WHERE scanned_at < {} AND (id, scanned_at) IN "
            "(SELECT id, scanned_at FROM hc_scan WHERE scanned_at < {} "
            f"LIMIT {int(chunk)}) RETURNING id"
        )
    while True:
        async with atomic():
            rows = await fetch(delete, *([cutoff] * delete.count("{}")))
        purged += len(rows)
        if len(rows) < chunk:
            break
    await purge_claims(now - CLAIMS_KEPT)
    personal = now - max(retention, timedelta(days=14))
    async with atomic():
        await fetch("DELETE FROM hc_visit WHERE declared_at < {}", personal)
        await fetch("DELETE FROM hc_checkin WHERE created_at < {}", personal)
        await fetch("DELETE FROM hc_declaration WHERE created_at < {}", personal)
    return purged
