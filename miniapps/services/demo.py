"""Demo data for `make run`: two real bundles, and a demo clerk for their departments.

"A newborn" (出生一件事: birth certificate, household registration, medical insurance) and
"opening a small shop" (开办小店一件事: business licence, tax, social security), as Hangzhou
bundles them. The second demo citizen (李四, 13800000002) is made staff of all six
departments, as a service centre's one window (一窗受理) would be, so that `make run` can be
walked through as a citizen (张三, 13800000001) and as the departments. Idempotent.
"""

from __future__ import annotations

from typing import Any

from miniapps.sdk import MiniAppContext
from miniapps.services import bundles, staff
from miniapps.services.schemas import BundleIn, FieldSpec, StepSpec

PERSON = [
    FieldSpec("applicant_name", "申请人姓名 Applicant's name", "real_name"),
    FieldSpec("applicant_id_hash", "申请人身份 Applicant's identity (keyed hash)", "id_hash"),
    FieldSpec("home_address", "户籍地址 Registered address", reusable=True),
    FieldSpec("contact_phone", "联系电话 Contact phone", reusable=True),
]

NEWBORN = BundleIn(
    name="出生一件事 A newborn",
    description="出生医学证明、户口登记、医保参保，一次申请 — birth certificate, household "
    "registration and medical insurance in one application.",
    fields=[
        *PERSON,
        FieldSpec("baby_name", "新生儿姓名 Baby's name"),
        FieldSpec("baby_birth_date", "出生日期 Date of birth"),
        FieldSpec("baby_sex", "性别 Sex"),
        FieldSpec("birth_hospital", "出生医院 Hospital of birth"),
    ],
    steps=[
        StepSpec(
            "birth_certificate",
            "health_commission",
            "出生医学证明 Birth medical certificate",
            [
                "applicant_name",
                "applicant_id_hash",
                "baby_name",
                "baby_birth_date",
                "baby_sex",
                "birth_hospital",
            ],
            ["birth_record"],
        ),
        StepSpec(
            "household_registration",
            "public_security",
            "户口登记 Household registration",
            [
                "applicant_name",
                "applicant_id_hash",
                "home_address",
                "baby_name",
                "baby_birth_date",
                "baby_sex",
            ],
            ["household_register"],
        ),
        StepSpec(
            "medical_insurance",
            "healthcare_security",
            "城乡居民医保参保 Medical insurance",
            ["applicant_name", "baby_name", "baby_birth_date", "home_address", "contact_phone"],
        ),
    ],
)

SMALL_SHOP = BundleIn(
    name="开办小店一件事 Opening a small shop",
    description="营业执照、税务登记、社保开户，一次申请 — business licence, tax registration "
    "and social security in one application.",
    fields=[
        *PERSON,
        FieldSpec("shop_name", "店名 Shop name"),
        FieldSpec("shop_address", "经营地址 Shop address"),
        FieldSpec("business_scope", "经营范围 Business scope"),
        FieldSpec("employees", "雇员人数 Employees"),
    ],
    steps=[
        StepSpec(
            "business_licence",
            "market_regulation",
            "营业执照 Business licence",
            ["applicant_name", "applicant_id_hash", "shop_name", "shop_address", "business_scope"],
            ["lease_contract"],
        ),
        StepSpec(
            "tax_registration",
            "taxation",
            "税务登记 Tax registration",
            ["applicant_name", "applicant_id_hash", "shop_name", "shop_address", "contact_phone"],
        ),
        StepSpec(
            "social_security",
            "human_resources",
            "社保开户 Social security account",
            ["shop_name", "shop_address", "employees", "contact_phone"],
        ),
    ],
)

DEMO_BUNDLES = {"newborn": NEWBORN, "small_shop": SMALL_SHOP}


def departments() -> list[str]:
    return sorted({step.department for b in DEMO_BUNDLES.values() for step in b.steps})


async def seed(context: dict[str, Any]) -> None:
    from miniapps.services import manifest

    for code, bundle in DEMO_BUNDLES.items():
        await bundles.save(code, bundle)
    citizens = context.get("citizens", [])
    if len(citizens) < 2:
        return
    # The demo loader stands in for a platform admin assigning the demo clerk.
    loader = MiniAppContext(
        manifest=manifest, openid="demo-loader", roles=frozenset({"platform_admin"})
    )
    await staff.assign(loader, citizens[1], departments())
