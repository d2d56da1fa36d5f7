"""Trust-list failures with their HTTP status and stable code."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ValidationFailed


class TrustEntryInvalid(ValidationFailed):
    code, title = "trust_entry_invalid", "The trust-list entry cannot be used"


class IssuerNotTrusted(NotFound):
    code, title = "issuer_not_found", "No such issuer in the trust list"


class TrustListBusy(Conflict):
    code, title = "trust_list_changed", "The trust list changed meanwhile; retry"


class TrustListSignatureInvalid(ValidationFailed):
    code, title = "trust_list_signature_invalid", "The list is not signed by the trust anchor"
