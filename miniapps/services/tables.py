"""The services app's tables (named `services_*`).

Bundles keep their definition as JSON (steps, fields, materials: data, not code). An
application copies its bundle's definition into its steps, so a bundle edited later never
changes an application under way. Every value a citizen gives or the platform fills is
sealed with the app's key, its purpose naming the application and the field; a department
opens only the fields its step declares. A step's status only moves through conditional
`UPDATE … WHERE status IN (…)`, so two decisions on one step cannot both win.
"""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Bundle(Table, tablename="services_bundle"):
    code = Varchar(length=40, primary_key=True)
    name = Varchar(length=200, null=False)
    description = Varchar(length=500, null=False, default="")
    definition = Text(null=False)  # JSON: {"fields": [...], "steps": [...]}
    updated_at = Timestamptz(null=False)


class Staff(Table, tablename="services_staff"):
    """A citizen (by openid) working for a department, assigned by a platform admin."""

    slot = Varchar(length=84, primary_key=True)  # "<openid>:<department>"
    openid = Varchar(length=40, null=False, index=True)
    citizen_id = Varchar(length=36, null=False)  # as the admin named them, to answer back
    department = Varchar(length=40, null=False, index=True)
    assigned_at = Timestamptz(null=False)


class Application(Table, tablename="services_application"):
    id = Varchar(length=36, primary_key=True)
    bundle = Varchar(length=40, null=False)
    name = Varchar(length=200, null=False)
    openid = Varchar(length=40, null=False, index=True)
    definition = Text(null=False)  # the bundle's definition when the application started
    submitted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)


class FieldValue(Table, tablename="services_field_value"):
    id = Varchar(length=36, primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    key = Varchar(length=40, null=False)
    slot = Varchar(length=80, null=False, unique=True)  # "<application>:<key>"
    sealed = Text(null=False)  # ctx.seal(value, "field:<application>:<key>")
    filled_from = Varchar(length=24, null=False)  # platform | earlier_application | citizen
    updated_at = Timestamptz(null=False)


class Remembered(Table, tablename="services_remembered"):
    """A reusable field the citizen gave once: offered again in their next application."""

    slot = Varchar(length=80, primary_key=True)  # "<openid>:<key>"
    openid = Varchar(length=40, null=False, index=True)
    key = Varchar(length=40, null=False)
    sealed = Text(null=False)  # ctx.seal(value, "remembered:<openid>:<key>")
    updated_at = Timestamptz(null=False)


class Step(Table, tablename="services_step"):
    id = Varchar(length=36, primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    code = Varchar(length=40, null=False)
    department = Varchar(length=40, null=False, index=True)
    title = Varchar(length=200, null=False)
    position = Integer(null=False, default=0)
    # pending (draft) | submitted | accepted | needs_more | approved | refused
    status = Varchar(length=16, null=False, default="pending")
    requested = Text(null=False, default="[]")  # JSON list of field keys, while needs_more
    note = Varchar(length=500, null=False, default="")
    updated_at = Timestamptz(null=False)


class StepEvent(Table, tablename="services_step_event"):
    """Every move of a step, timestamped: who (a department or the citizen) and to what."""

    id = Varchar(length=36, primary_key=True)
    step = ForeignKey(references=Step, null=False, index=True)
    seq = Integer(null=False, default=0)  # 1, 2, … within the step: its order, whatever the clock
    status = Varchar(length=16, null=False)
    actor = Varchar(length=48, null=False)  # "citizen" or "department:<code>"
    note = Varchar(length=500, null=False, default="")
    at = Timestamptz(null=False)


class Material(Table, tablename="services_material"):
    id = Varchar(length=36, primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    step = Varchar(length=40, null=False)
    kind = Varchar(length=40, null=False)
    filename = Text(null=False)  # sealed: a file name can name a person
    content_type = Varchar(length=40, null=False)
    size = Integer(null=False)
    sha256 = Varchar(length=64, null=False)
    storage_key = Varchar(length=80, null=False)
    created_at = Timestamptz(null=False)
    # Set when the department asks for this kind again: the step then reads the new one.
    superseded_at = Timestamptz(null=True, default=None)


class Blob(Table, tablename="services_blob"):
    """The database material store: each file's bytes, sealed."""

    key = Varchar(length=80, primary_key=True)
    sealed = Text(null=False)
    created_at = Timestamptz(null=False)
