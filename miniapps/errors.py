"""The platform's failures, with the codes of API.md."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, ProblemError, Unauthorized


class ScopeRequired(Forbidden):
    code, title = "scope_required", "The citizen has not granted this scope"


class AppNotSubmitted(Conflict):
    code, title = "app_not_submitted", "The app has not been submitted for review"


class AppNotDraft(Conflict):
    code, title = "app_not_draft", "Only a draft app can be submitted"


class SlugTaken(Conflict):
    code, title = "slug_taken", "This slug is taken"


class InvalidGrant(ProblemError):
    status, code, title = 400, "invalid_grant", "The authorization code is not valid"


class InvalidClient(Unauthorized):
    code, title = "invalid_client", "Unknown client or wrong client secret"


class UnsupportedGrantType(ProblemError):
    status, code, title = 400, "unsupported_grant_type", "Unsupported grant_type"


class InvalidWebhookUrl(ProblemError):
    status, code, title = 422, "invalid_webhook_url", "The webhook URL is not allowed"
