"""Settings from the environment: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, settings_from_env


class TestSettingsFromEnv:
    def test_unset_environment_means_production(self) -> None:
        settings = settings_from_env({})
        assert settings.env == "production"
        assert not settings.is_dev
        assert settings.auth_rate_per_client == 60
        assert settings.database_url == "" and not settings.uses_postgres

    @pytest.mark.parametrize("env", ["dev", "test", "production"])
    def test_the_three_environments(self, env: str) -> None:
        assert settings_from_env({"CITYBRAIN_ENV": env}).env == env

    def test_values_are_parsed(self) -> None:
        settings = settings_from_env(
            {
                "CITYBRAIN_ENV": "dev",
                "CITYBRAIN_ADMIN_PHONES": " 13800000000, ,13900000000,",
                "CITYBRAIN_AUTH_RATE_PER_CLIENT": "120",
                "CITYBRAIN_TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1",
                "CITYBRAIN_JOBS_INLINE": "yes",
                "CITYBRAIN_SCHEDULER": "false",
                "DATABASE_URL": "postgresql://u:p@h/db",
                "CITYBRAIN_SQLITE_READERS": "4",
            }
        )
        assert settings.is_dev
        assert settings.admin_phones == ("13800000000", "13900000000")
        assert settings.auth_rate_per_client == 120
        assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")
        assert settings.jobs_inline is True and settings.scheduler is False
        assert settings.uses_postgres
        assert settings.sqlite_readers == 4

    def test_empty_values_keep_the_defaults(self) -> None:
        settings = settings_from_env({"CITYBRAIN_AUTH_RATE_PER_CLIENT": "", "REDIS_URL": ""})
        assert settings.auth_rate_per_client == 60 and settings.redis_url == ""

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("CITYBRAIN_ENV", "staging"),
            ("CITYBRAIN_AUTH_RATE_PER_CLIENT", "sixty"),
            ("CITYBRAIN_AUTH_RATE_PER_CLIENT", "0"),
            ("CITYBRAIN_OTP_RATE_PER_PHONE", "1.5"),
            ("CITYBRAIN_OTP_RATE_PER_PHONE", "0"),
            ("CITYBRAIN_GATE_RATE_PER_CLIENT", "-5"),
            ("CITYBRAIN_SQLITE_READERS", "many"),
            ("CITYBRAIN_DUE_DAYS", "ten"),
            ("CITYBRAIN_JOBS_INLINE", "maybe"),
            ("CITYBRAIN_SCHEDULER", "2"),
            ("DATABASE_URL", "mysql://localhost/db"),
        ],
    )
    def test_a_bad_value_names_its_variable(self, variable: str, value: str) -> None:
        with pytest.raises(SettingsError, match=variable):
            settings_from_env({variable: value})

    def test_sqlite_url(self) -> None:
        settings = settings_from_env({"DATABASE_URL": "sqlite:///tmp/x.sqlite3"})
        assert not settings.uses_postgres
