"""Medical's own tables (named `medical_*`): hospitals, departments, visits and their charges.

Citizens appear only by this app's openid. A visit's `open_key` is set while the visit is
open and cleared when it is settled or cancelled: a unique column that lets a citizen hold
at most one open visit per hospital per day on both engines (NULLs never collide).
"""

from piccolo.columns import Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Hospital(Table, tablename="medical_hospital"):
    """A hospital venue's profile in this app, kept by the hospital's own devices."""

    id = Varchar(length=36, primary_key=True)
    venue_id = Varchar(length=36, null=False, unique=True)
    name = Varchar(length=80, null=False)
    registration_estimate = Integer(null=False)  # fen held on the credit line at registration
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Department(Table, tablename="medical_department"):
    id = Varchar(length=36, primary_key=True)
    hospital = ForeignKey(references=Hospital, null=False, index=True)
    name = Varchar(length=40, null=False)
    name_key = Varchar(length=120, null=False, unique=True)  # "<hospital>:<name>"
    created_at = Timestamptz(null=False)


class Visit(Table, tablename="medical_visit"):
    """A registration: the hold of the estimate, then the bill settled against it."""

    id = Varchar(length=36, primary_key=True)
    hospital = ForeignKey(references=Hospital, null=False, index=True)
    department = ForeignKey(references=Department, null=False)
    openid = Varchar(length=40, null=False, index=True)
    visit_day = Date(null=False)  # Asia/Shanghai calendar day of the registration
    status = Varchar(length=12, null=False, default="registered")
    open_key = Varchar(length=120, null=True, default=None, unique=True)
    hold_id = Varchar(length=64, null=False)
    estimate = Integer(null=False)
    total = Integer(null=False, default=0)
    captured = Integer(null=False, default=0)
    released = Integer(null=False, default=0)
    created_at = Timestamptz(null=False)
    closed_at = Timestamptz(null=True, default=None)


class Charge(Table, tablename="medical_charge"):
    """A line of the bill added by a hospital device (a doctor's order, the pharmacy)."""

    id = Varchar(length=36, primary_key=True)
    visit = ForeignKey(references=Visit, null=False, index=True)
    item = Varchar(length=80, null=False)
    amount = Integer(null=False)
    gate_id = Varchar(length=36, null=False)
    created_at = Timestamptz(null=False)
