"""Health-code failures with the HTTP status and stable code of API.md."""

from __future__ import annotations

from app.errors import Conflict


class DeclarationRequired(Conflict):
    code, title = "declaration_required", "Declare your health first"
