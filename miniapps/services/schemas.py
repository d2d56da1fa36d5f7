"""The services app's request and response bodies (times in UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$(?!\n)")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Value = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
EntityId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Source = Literal["ask", "real_name", "id_hash"]
Decision = Literal["accepted", "needs_more", "approved", "refused"]
StepStatus = Literal["pending", "submitted", "accepted", "needs_more", "approved", "refused"]
Overall = Literal["draft", "in_progress", "needs_more", "completed", "refused"]


class FieldSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One field of a bundle: asked of the citizen (`ask`), or filled by the platform."""

    key: Code
    label: Text
    source: Source = "ask"
    reusable: bool = False  # asked once: kept (sealed) for the citizen's next application


class StepSpec(msgspec.Struct, forbid_unknown_fields=True):
    """One department's procedure: the fields it reads and the materials it needs."""

    code: Code
    department: Code
    title: Text
    fields: Annotated[list[Code], msgspec.Meta(max_length=40)] = []
    materials: Annotated[list[Code], msgspec.Meta(max_length=10)] = []


class BundleIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    fields: Annotated[list[FieldSpec], msgspec.Meta(min_length=1, max_length=40)] = []
    steps: Annotated[list[StepSpec], msgspec.Meta(min_length=1, max_length=12)] = []


class BundleOut(msgspec.Struct):
    code: str
    name: str
    description: str
    fields: list[FieldSpec]
    steps: list[StepSpec]


class StaffIn(msgspec.Struct, forbid_unknown_fields=True):
    """The departments a citizen works for (a service-centre window may serve several)."""

    departments: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=20)]


class StaffOut(msgspec.Struct):
    citizen_id: str
    departments: list[str]
    assigned_at: datetime


class StartIn(msgspec.Struct, forbid_unknown_fields=True):
    bundle: Code


class FieldsIn(msgspec.Struct, forbid_unknown_fields=True):
    fields: Annotated[dict[Code, Value], msgspec.Meta(min_length=1, max_length=40)]


class MaterialIn(msgspec.Struct, forbid_unknown_fields=True):
    step: Code
    kind: Code  # one of the materials the step declares
    filename: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    content_type: Literal["application/pdf", "image/png", "image/jpeg"]
    content_base64: Annotated[str, msgspec.Meta(min_length=4, max_length=720_000)]


class MaterialOut(msgspec.Struct):
    id: str
    step: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class FieldOut(msgspec.Struct):
    key: str
    label: str
    source: str  # ask | real_name | id_hash
    filled: bool
    filled_from: str | None  # platform | earlier_application | citizen
    value: str | None  # the citizen's own values; never the ID number (only its hash)


class StepEventOut(msgspec.Struct):
    status: str
    actor: str  # "citizen" or "department:<code>"
    note: str
    at: datetime


class StepOut(msgspec.Struct):
    id: str
    code: str
    department: str
    title: str
    status: StepStatus
    requested: list[str]  # what a department asked for, while `needs_more`
    note: str
    updated_at: datetime
    history: list[StepEventOut] = []  # every move of the step, oldest first


class ApplicationOut(msgspec.Struct):
    id: str
    bundle: str
    name: str
    status: Overall
    missing: list[str]  # fields and materials (`material:<step>.<kind>`) still to give
    fields: list[FieldOut]
    steps: list[StepOut]
    materials: list[MaterialOut]
    created_at: datetime
    submitted_at: datetime | None


class ApplicationBrief(msgspec.Struct):
    id: str
    bundle: str
    name: str
    status: Overall
    created_at: datetime
    submitted_at: datetime | None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Decision
    note: Note = ""
    fields: Annotated[list[Code], msgspec.Meta(max_length=40)] = []  # with needs_more
    materials: Annotated[list[Code], msgspec.Meta(max_length=10)] = []  # kinds, with needs_more


class ResubmitIn(msgspec.Struct, forbid_unknown_fields=True):
    """The fields a department asked for (its asked materials are attached beforehand)."""

    fields: Annotated[dict[Code, Value], msgspec.Meta(max_length=40)] = {}


class DeskFieldOut(msgspec.Struct):
    key: str
    label: str
    value: str | None


class DeskStepOut(msgspec.Struct):
    """A step as its department sees it: only the fields and materials this step declares."""

    id: str
    application_id: str
    bundle: str
    code: str
    department: str
    title: str
    status: StepStatus
    requested: list[str]
    note: str
    fields: list[DeskFieldOut]
    materials: list[MaterialOut]
    submitted_at: datetime | None
    updated_at: datetime
