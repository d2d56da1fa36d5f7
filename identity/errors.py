"""Identity's failures, each with its HTTP status and stable code (API.md)."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, ProblemError, Unauthorized


class InvalidPhone(ProblemError):
    status, code, title = 422, "invalid_phone", "Not a mainland mobile number"


class InvalidOtp(Unauthorized):
    code, title = "invalid_otp", "Wrong or expired code"


class RefreshTokenReused(Unauthorized):
    code, title = "refresh_token_reused", "Refresh token already used"


class InvalidIdNumber(ProblemError):
    status, code, title = 422, "invalid_id_number", "Not a valid resident ID number"


class IdNumberTaken(Conflict):
    code, title = "id_number_taken", "ID number bound to another account"


class AlreadyVerified(Conflict):
    code, title = "already_verified", "Account already verified"


class InvalidDevice(Unauthorized):
    code, title = "invalid_device", "Unknown gate, wrong secret or revoked gate"


class RealNameRequired(Forbidden):
    code, title = "real_name_required", "Real-name verification required"
