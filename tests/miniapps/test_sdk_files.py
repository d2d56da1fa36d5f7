"""The SDK's file store and region helpers: what `ctx.files` and GB/T 2260 codes give apps."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, settings_from_env
from miniapps.sdk import (
    AppFiles,
    StoredFileMissing,
    city_of,
    district_of,
    is_region_code,
    province_of,
    region_covers,
)
from miniapps.sdk_files import LocalFileStore, S3FileStore, set_file_store


class TestLocalFileStore:
    async def test_a_file_comes_back_with_its_type_and_goes(self, tmp_path: Path) -> None:
        store = LocalFileStore(tmp_path)
        await store.put("reports/photos/e1/p1.jpg", b"\xff\xd8data", "image/jpeg")
        assert await store.get("reports/photos/e1/p1.jpg") == (b"\xff\xd8data", "image/jpeg")
        await store.delete("reports/photos/e1/p1.jpg")
        await store.delete("reports/photos/e1/p1.jpg")  # deleting twice is no error
        with pytest.raises(StoredFileMissing):
            await store.get("reports/photos/e1/p1.jpg")

    @pytest.mark.parametrize("key", ["../etc/passwd", "reports/../x", "/abs/path", "reports"])
    async def test_keys_cannot_leave_the_root(self, tmp_path: Path, key: str) -> None:
        with pytest.raises(ValueError):
            await LocalFileStore(tmp_path).put(key, b"x", "text/plain")


class TestAppFiles:
    async def test_an_apps_keys_live_under_its_slug(self, tmp_path: Path) -> None:
        set_file_store(LocalFileStore(tmp_path))
        try:
            await AppFiles("reports").put("photos/a/b.png", b"png", "image/png")
            assert (tmp_path / "reports" / "photos" / "a" / "b.png").read_bytes() == b"png"
            with pytest.raises(StoredFileMissing):
                await AppFiles("services").get("photos/a/b.png")
        finally:
            set_file_store(None)


class TestS3Settings:
    def test_s3_needs_its_bucket_and_keys(self) -> None:
        with pytest.raises(SettingsError, match="CITYBRAIN_S3_BUCKET"):
            settings_from_env(
                {"CITYBRAIN_FILE_STORE": "s3", "CITYBRAIN_S3_ENDPOINT": "https://s3.example"}
            )

    def test_production_needs_an_https_endpoint(self) -> None:
        env = {
            "CITYBRAIN_FILE_STORE": "s3",
            "CITYBRAIN_S3_ENDPOINT": "http://minio:9000",
            "CITYBRAIN_S3_BUCKET": "photos",
            "CITYBRAIN_S3_ACCESS_KEY": "a",
            "CITYBRAIN_S3_SECRET_KEY": "s",
        }
        with pytest.raises(SettingsError, match="CITYBRAIN_S3_ENDPOINT"):
            settings_from_env(env)
        assert settings_from_env({**env, "CITYBRAIN_ENV": "dev"}).s3_bucket == "photos"

    def test_an_unknown_store_is_refused(self) -> None:
        with pytest.raises(SettingsError, match="CITYBRAIN_FILE_STORE"):
            settings_from_env({"CITYBRAIN_FILE_STORE": "ftp"})

    def test_without_boto3_the_s3_store_says_what_to_install(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import importlib

        real = importlib.import_module

        def without_boto3(name: str, package: str | None = None) -> object:
            if name == "boto3":
                raise ImportError(name)
            return real(name, package)

        monkeypatch.setattr(importlib, "import_module", without_boto3)
        settings = settings_from_env(
            {
                "CITYBRAIN_ENV": "dev",
                "CITYBRAIN_FILE_STORE": "s3",
                "CITYBRAIN_S3_ENDPOINT": "http://minio:9000",
                "CITYBRAIN_S3_BUCKET": "photos",
                "CITYBRAIN_S3_ACCESS_KEY": "a",
                "CITYBRAIN_S3_SECRET_KEY": "s",
            }
        )
        with pytest.raises(SettingsError, match="boto3"):
            S3FileStore(settings)


class TestRegions:
    def test_codes_and_their_levels(self) -> None:
        assert is_region_code("330106") and not is_region_code("033010")
        assert not is_region_code("33010") and not is_region_code("330106\n")
        assert (district_of("330106"), city_of("330106"), province_of("330106")) == (
            "330106",
            "330100",
            "330000",
        )

    def test_a_region_covers_its_sub_regions(self) -> None:
        assert region_covers("330100", "330106") and region_covers("330000", "330106")
        assert region_covers("330106", "330106")
        assert not region_covers("330106", "330108") and not region_covers("330100", "320106")
