"""Reports' own tables (named `reports_*`): events, their steps, photos, and the grid staff.

An event moves only by conditional `UPDATE … WHERE status = … RETURNING`, so two workers
taking one event at once cannot both win. Coordinates are kept as integer micro-degrees:
exact on both databases. A duplicate report is its own row, `merged` into the open event
it repeats (`merged_into`), so its reporter still follows it and is told when it is closed.
"""

from piccolo.columns import Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Event(Table, tablename="reports_event"):
    id = Varchar(length=36, primary_key=True)
    openid = Varchar(length=40, null=False, index=True)  # the reporter
    category = Varchar(length=24, null=False)
    text = Varchar(length=1000, null=False)
    region_code = Varchar(length=6, null=False, index=True)
    lat_e6 = Integer(null=False)  # latitude × 10⁶ (WGS-84)
    lng_e6 = Integer(null=False)
    # open (in the queue) | taken (a worker has it) | resolved | merged (a duplicate)
    status = Varchar(length=10, null=False, default="open", index=True)
    level = Varchar(length=10, null=False, default="grid")  # grid | district (escalated)
    merged_into = Varchar(length=36, null=True, default=None, index=True)
    worker_openid = Varchar(length=40, null=True, default=None)
    deadline_at = Timestamptz(null=False)
    escalated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False, index=True)
    taken_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    resolution = Varchar(length=1000, null=True, default=None)
    rating = Integer(null=True, default=None)  # 1–5, by the reporter, once
    rating_comment = Varchar(length=500, null=True, default=None)
    duplicates = Integer(null=False, default=0)  # reports merged into this one


class Step(Table, tablename="reports_step"):
    """Every step of an event, timestamped: reported, merged, taken, transferred, …"""

    id = Varchar(length=36, primary_key=True)
    event = Varchar(length=36, null=False, index=True)
    seq = Integer(null=False)  # 1, 2, … within the event: the order, whatever the clock
    kind = Varchar(length=12, null=False)
    actor = Varchar(length=8, null=False)  # citizen | worker | admin | system
    note = Varchar(length=1000, null=True, default=None)
    region_code = Varchar(length=6, null=True, default=None)
    notified = Boolean(null=False, default=False)  # the reporter was notified of it
    at = Timestamptz(null=False)


class Photo(Table, tablename="reports_photo"):
    id = Varchar(length=36, primary_key=True)
    event = Varchar(length=36, null=False, index=True)
    position = Integer(null=False)
    file_key = Varchar(length=200, null=False)
    content_type = Varchar(length=20, null=False)
    size = Integer(null=False)
    width = Integer(null=False)
    height = Integer(null=False)
    created_at = Timestamptz(null=False)


class Worker(Table, tablename="reports_worker"):
    """A staff assignment: this citizen (openid) works the region's grid, or its district."""

    id = Varchar(length=36, primary_key=True)
    openid = Varchar(length=40, null=False, index=True)
    region_code = Varchar(length=6, null=False, index=True)
    level = Varchar(length=10, null=False, default="grid")  # grid | district
    assignment_key = Varchar(length=60, null=False, unique=True)  # "<openid>:<region>"
    created_at = Timestamptz(null=False)
