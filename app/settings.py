"""Settings read once from the environment into a typed, validated struct.

Every variable is documented in the README. A bad value stops the process with a message
naming the variable, never a traceback deep inside a request.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

Environment = Literal["dev", "test", "production"]


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Environment = "production"
    database_url: str = ""  # empty: SQLite under data_dir
    redis_url: str = ""  # empty: in-process jobs, in-memory rate limits
    data_dir: str = "var"
    admin_phones: tuple[str, ...] = ()
    auth_rate_per_client: int = msgspec.field(default=60)
    otp_rate_per_phone: int = 5  # OTP sends a phone may ask for in 10 minutes
    gate_rate_per_client: int = 600  # gate token exchanges a minute from one client address
    trusted_proxies: tuple[str, ...] = ()
    # Secrets: base64url keys. Unset in dev/test: generated under data_dir/keys.
    id_hmac_key: str = ""
    id_enc_key: str = ""
    token_signing_key: str = ""  # PEM of an EC P-256 private key
    sqlite_readers: int = 3
    scan_retention_days: int = 28
    due_days: int = 10
    access_token_ttl: int = 900
    jobs_inline: bool = False  # run in-process jobs synchronously (tests)
    # Where jobs run: "arq" (workers; the default when REDIS_URL is set) or "inprocess".
    jobs: Literal["", "arq", "inprocess"] = ""
    scheduler: bool = True  # run the periodic-job scheduler in this process
    # Where health-code signatures are checked: a process of their own, or on the loop.
    code_verifier: Literal["process", "inline"] = "process"
    # The `iss` our health codes carry: other cities trust it with our JWKS (mutual recognition).
    code_issuer: str = "https://citybrain.hangzhou.example"
    # A PEM certificate: when set, an imported EU DSC list must carry a detached signature by
    # its key (`Trust-List-Signature`), as national backends sign the lists they publish.
    dsc_trust_anchor: str = ""
    # Observability (docs/operations.md): log lines as JSON or text (empty: text in dev, JSON
    # otherwise), their level, a line per request, and the bearer token /metrics asks for.
    log_format: Literal["", "json", "text"] = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = False
    metrics_token: str = ""
    # Files mini-apps keep (photos, attachments): miniapps/sdk_files.py. "local": under
    # file_dir (empty: data_dir/files); "s3": an S3-compatible bucket (boto3 installed).
    file_store: Literal["local", "s3"] = "local"
    file_dir: str = ""
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def jobs_on_arq(self) -> bool:
        return bool(self.redis_url) and self.jobs != "inprocess"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.data_dir) / "citybrain.sqlite3"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "" and not self.is_dev)

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


_ENV_MAP: dict[str, str] = {
    "CITYBRAIN_ENV": "env",
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "CITYBRAIN_DATA_DIR": "data_dir",
    "CITYBRAIN_ADMIN_PHONES": "admin_phones",
    "CITYBRAIN_AUTH_RATE_PER_CLIENT": "auth_rate_per_client",
    "CITYBRAIN_OTP_RATE_PER_PHONE": "otp_rate_per_phone",
    "CITYBRAIN_GATE_RATE_PER_CLIENT": "gate_rate_per_client",
    "CITYBRAIN_TRUSTED_PROXIES": "trusted_proxies",
    "CITYBRAIN_ID_HMAC_KEY": "id_hmac_key",
    "CITYBRAIN_ID_ENC_KEY": "id_enc_key",
    "CITYBRAIN_TOKEN_SIGNING_KEY": "token_signing_key",
    "CITYBRAIN_SQLITE_READERS": "sqlite_readers",
    "CITYBRAIN_SCAN_RETENTION_DAYS": "scan_retention_days",
    "CITYBRAIN_DUE_DAYS": "due_days",
    "CITYBRAIN_JOBS_INLINE": "jobs_inline",
    "CITYBRAIN_JOBS": "jobs",
    "CITYBRAIN_SCHEDULER": "scheduler",
    "CITYBRAIN_CODE_VERIFIER": "code_verifier",
    "CITYBRAIN_CODE_ISSUER": "code_issuer",
    "CITYBRAIN_DSC_TRUST_ANCHOR": "dsc_trust_anchor",
    "CITYBRAIN_LOG_FORMAT": "log_format",
    "CITYBRAIN_LOG_LEVEL": "log_level",
    "CITYBRAIN_ACCESS_LOG": "access_log",
    "CITYBRAIN_METRICS_TOKEN": "metrics_token",
    "CITYBRAIN_FILE_STORE": "file_store",
    "CITYBRAIN_FILE_DIR": "file_dir",
    "CITYBRAIN_S3_ENDPOINT": "s3_endpoint",
    "CITYBRAIN_S3_BUCKET": "s3_bucket",
    "CITYBRAIN_S3_REGION": "s3_region",
    "CITYBRAIN_S3_ACCESS_KEY": "s3_access_key",
    "CITYBRAIN_S3_SECRET_KEY": "s3_secret_key",
}
_TUPLES = {"admin_phones", "trusted_proxies"}
_BOOLS = {"jobs_inline", "scheduler", "access_log"}


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, object] = {}
    for var, field in _ENV_MAP.items():
        value = environ.get(var)
        if value is None or value == "":
            continue
        if field in _TUPLES:
            raw[field] = tuple(p.strip() for p in value.split(",") if p.strip())
        elif field in _BOOLS:
            if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise SettingsError(f"{var} must be true or false, got {value!r}")
            raw[field] = value.lower() in {"1", "true", "yes"}
        elif field in {"log_level", "log_format"}:
            raw[field] = value.upper() if field == "log_level" else value.lower()
        else:
            raw[field] = value
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].strip("`") if "$." in str(exc) else ""
        var = next((v for v, f in _ENV_MAP.items() if f == field), field or "a setting")
        raise SettingsError(f"bad value for {var}: {exc}") from None
    for var in (
        "CITYBRAIN_AUTH_RATE_PER_CLIENT",
        "CITYBRAIN_OTP_RATE_PER_PHONE",
        "CITYBRAIN_GATE_RATE_PER_CLIENT",
    ):
        if getattr(settings, _ENV_MAP[var]) < 1:
            raise SettingsError(f"{var} must be at least 1")
    if settings.dsc_trust_anchor:
        from recognition.anchor import AnchorInvalid, load_anchor

        try:
            load_anchor(settings.dsc_trust_anchor)
        except AnchorInvalid as exc:
            raise SettingsError(f"CITYBRAIN_DSC_TRUST_ANCHOR: {exc}") from None
    if settings.database_url and not (
        settings.uses_postgres or settings.database_url.startswith("sqlite:///")
    ):
        raise SettingsError("DATABASE_URL must be postgresql://… or sqlite:///path")
    if settings.file_store == "s3":
        _check_s3(settings)
    return settings


def _check_s3(settings: Settings) -> None:
    """An S3-compatible store needs its bucket, keys and an https endpoint (http in dev/test)."""
    for var in (
        "CITYBRAIN_S3_ENDPOINT",
        "CITYBRAIN_S3_BUCKET",
        "CITYBRAIN_S3_ACCESS_KEY",
        "CITYBRAIN_S3_SECRET_KEY",
    ):
        if not getattr(settings, _ENV_MAP[var]):
            raise SettingsError(f"{var} is required when CITYBRAIN_FILE_STORE=s3")
    schemes = ("https://",) if settings.env == "production" else ("https://", "http://")
    if not settings.s3_endpoint.startswith(schemes):
        raise SettingsError(f"CITYBRAIN_S3_ENDPOINT must start with {' or '.join(schemes)}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
