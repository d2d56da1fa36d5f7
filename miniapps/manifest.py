"""What a mini-app declares about itself, and the checks the registry runs on it.

A manifest is plain data, the same for an in-process package and an external app, so the
registry can refuse a bad one before anything of the app runs.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

PLATFORM_VERSION = "1.0.0"

Scope = Literal[
    "profile.basic", "healthcode.read", "wallet.charge", "notify.send", "identity.realname"
]
SCOPES: tuple[str, ...] = (
    "profile.basic",
    "healthcode.read",
    "wallet.charge",
    "notify.send",
    "identity.realname",
)
ChargeMode = Literal["hold", "charge"]
# Platform privileges an in-process app installed by the operator may declare (the developer
# API never grants them): `citizen_directory` reads what a benefits programme judges every
# verified citizen by (`ctx.directory`), `payouts` pays citizens from a programme account
# (`ctx.payouts`).
Privilege = Literal["citizen_directory", "payouts"]
VenueKind = Literal["metro", "hotel", "park", "hospital", "mall", "office", "other"]

# `$(?!\n)`, not `$`: Python's `$` also matches before a final newline, so `"medical\n"`
# passed as a slug (a look-alike of a first-party app). The look-ahead means the same in
# ECMA-262 regexes, so the OpenAPI document states the rule that is checked.
SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$(?!\n)"
TEMPLATE_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$(?!\n)"
SETTING_PATTERN = r"^[a-z][a-z0-9_]{0,39}$(?!\n)"
# Slugs that would shadow platform paths or are kept for first-party apps.
RESERVED_SLUGS = frozenset({"apps", "me", "admin", "developer", "oauth", "sdk", "platform"})

Slug = Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN)]
TemplateName = Annotated[str, msgspec.Meta(pattern=TEMPLATE_PATTERN)]
SettingName = Annotated[str, msgspec.Meta(pattern=SETTING_PATTERN)]


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A mini-app's declaration: who it is, what it may ask of citizens, what it needs."""

    slug: Slug
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    version: Annotated[
        str, msgspec.Meta(pattern=r"^[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?$(?!\n)")
    ]
    # The platform versions it runs on, e.g. ">=1.0,<2".
    platform: Annotated[str, msgspec.Meta(max_length=60)] = ">=1.0,<2"
    scopes: tuple[Scope, ...] = ()
    templates: tuple[TemplateName, ...] = ()
    charge_modes: tuple[ChargeMode, ...] = ()
    # Read from CITYBRAIN_MINIAPP_<SLUG>_<NAME>; the app is left out when one is missing.
    required_settings: tuple[SettingName, ...] = ()
    # A gate of a venue of one of these kinds is this app's device (front desk, turnstile).
    venue_kinds: tuple[VenueKind, ...] = ()
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    privileges: tuple[Privilege, ...] = ()


class ManifestError(ValueError):
    """A manifest the registry refuses; the message says what to fix."""


def check_manifest(manifest: Manifest, platform_version: str = PLATFORM_VERSION) -> None:
    """Checks a Struct cannot express: ranges, reserved slugs, consistent charge modes."""
    if manifest.slug in RESERVED_SLUGS:
        raise ManifestError(f"slug {manifest.slug!r} is reserved by the platform")
    if not version_in_range(platform_version, manifest.platform):
        raise ManifestError(
            f"needs platform {manifest.platform}, this is platform {platform_version}"
        )
    if manifest.charge_modes and "wallet.charge" not in manifest.scopes:
        raise ManifestError("charge_modes need the wallet.charge scope")
    if "wallet.charge" in manifest.scopes and not manifest.charge_modes:
        raise ManifestError("wallet.charge needs at least one charge mode (hold, charge)")
    for label, items in (("scopes", manifest.scopes), ("templates", manifest.templates)):
        if len(set(items)) != len(items):
            raise ManifestError(f"{label} lists an entry twice")


def setting_variable(slug: str, name: str) -> str:
    """The environment variable that carries a mini-app's setting."""
    return f"CITYBRAIN_MINIAPP_{slug.replace('-', '_').upper()}_{name.upper()}"


# Version ranges ---------------------------------------------------------------------------

_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")


def _parts(version: str) -> tuple[int, ...]:
    core = re.split(r"[-+]", version, maxsplit=1)[0]
    numbers = [int(p) for p in core.split(".")]
    return tuple(numbers + [0] * (3 - len(numbers)))


def version_in_range(version: str, spec: str) -> bool:
    """`spec` is comma-separated clauses like ">=1.0,<2"; raises ManifestError if malformed."""
    have = _parts(version)
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ManifestError(f"platform range {spec!r} is not like '>=1.0,<2'")
        op, bound = match.group(1), _parts(match.group(2))
        ok = {
            ">=": have >= bound,
            "<=": have <= bound,
            "==": have == bound,
            "!=": have != bound,
            ">": have > bound,
            "<": have < bound,
        }[op]
        if not ok:
            return False
    return True
