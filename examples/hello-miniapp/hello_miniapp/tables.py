"""Hello's own table: named `hello_*`, keyed by openid (the app never sees a citizen id)."""

from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class HelloVisit(Table, tablename="hello_visit"):
    id = Serial(primary_key=True)
    openid = Varchar(length=40, null=False, unique=True)
    visits = Integer(null=False, default=0)
    last_visit = Timestamptz(null=False)
