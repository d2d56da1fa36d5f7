"""The rules of the authorization matrix: who may call an operation, and what everyone else
gets. The entries, one per operation, are in `authorization_table.py`.

Each entry names an access rule and how to build a request that is valid for the principal
allowed (so that everyone else's answer is about who they are, not about a bad body). The
expected status of each principal follows from the rule (`expected()`), with overrides where
a route answers otherwise on purpose, each with its reason. "ok" is any 2xx.

Rules:
- `public`: anyone; the route reads no token, so a bad one does not matter. `app_public`: a
  mini-app route anyone may call that reads the caller if there is one: a token that is there
  must be valid and a citizen's or a gate's of the app's venue kind.
- `citizen`: any signed-in citizen (a core route: other tokens are 401).
- `app_citizen`: a mini-app route for any signed-in citizen (gates are 403: a device acts for
  a citizen only after scanning their code; app tokens 401). `app_granted`: the same, for
  citizens who granted the app what the route needs: only `citizen` did (others 403).
- `owner` / `app_owner`: the citizen whose resource it is; every other citizen gets 404, so
  that an id never tells that it exists.
- `role:<r>[|<r>]`: citizens holding a role; other citizens 403.
- `gate`: any gate device (the health-code gate API); everything else 401.
- `device:<kind>`: a gate of a venue of the mini-app's kind; a gate of another kind and a
  citizen 403. `device_owner:<kind>`: the venue's own gate; another venue's gate 404.
- `app:<scope>`: an external app's citizen token holding the scope; without it 403; after
  the citizen revoked the grant 401. `merchant`: the app's client token (its own holds).
- `developer`: the developer who owns the app; other citizens 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.app.authorization_world import APPS, CITIZENS, GATES, UNAUTHENTICATED, World

OK = "ok"
Expect = int | str


@dataclass(frozen=True)
class Call:
    path: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    params: Mapping[str, str] | None = None


Builder = Callable[[World], Awaitable[Call]]


@dataclass(frozen=True)
class Rule:
    access: str
    build: Builder | None = None
    overrides: Mapping[str, Expect] = field(default_factory=dict)
    why: str = ""
    venue: str = ""

    @property
    def kind(self) -> str:
        """The venue kind the gate principals are of: a device rule's, else `venue`."""
        _, _, kind = self.access.partition(":")
        return kind if self.access.startswith("device") else self.venue or "metro"

    @property
    def scope(self) -> str:
        if self.access == "merchant":
            return "merchant"
        _, _, scope = self.access.partition(":")
        return scope if self.access.startswith("app:") else "profile.basic"


def expected(rule: Rule, principal: str) -> Expect:
    if principal in rule.overrides:
        return rule.overrides[principal]
    access, _, detail = rule.access.partition(":")
    in_app = access.startswith("app_") or access.startswith("device")
    if access == "public":
        return OK
    if access == "app_public":
        if principal in ("expired", "foreign_audience") or principal in APPS:
            return 401
        return 403 if principal == "other_kind_gate" else OK
    if principal in UNAUTHENTICATED:
        return 401
    if access in ("citizen", "app_citizen", "app_granted", "owner", "app_owner", "developer"):
        if principal in GATES:
            return 403 if in_app else 401
        if principal in APPS:
            return 401
        if access in ("citizen", "app_citizen") or principal == _owner(access):
            return OK
        return 403 if access == "app_granted" else 404
    if access == "role":
        if principal in CITIZENS:
            return OK if principal in detail.split("|") else 403
        return 401
    if access == "gate":
        return OK if principal in GATES else 401
    if access in ("device", "device_owner"):
        if principal == "gate":
            return OK
        if principal == "other_venue_gate":
            return OK if access == "device" else 404
        if principal in CITIZENS or principal == "other_kind_gate":
            return 403
        return 401
    if access in ("app", "merchant"):
        if principal == "app":
            return OK
        if principal == "app_unscoped":
            return 403
        return 401
    raise ValueError(rule.access)


def _owner(access: str) -> str:
    return "developer" if access == "developer" else "citizen"


def static(
    path: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, str] | None = None,
) -> Builder:
    async def build(world: World) -> Call:
        return Call(path or {}, json, params)

    return build


def ids(**names: str) -> Builder:
    """Path parameters taken from the world's named ids."""

    async def build(world: World) -> Call:
        return Call({param: world.ids[name] for param, name in names.items()})

    return build


def with_json(builder: Builder, json: Any) -> Builder:
    async def build(world: World) -> Call:
        call = await builder(world)
        return Call(call.path, json, call.params)

    return build


def fresh_phone() -> str:
    return f"136{uuid.uuid4().int % 100_000_000:08d}"
