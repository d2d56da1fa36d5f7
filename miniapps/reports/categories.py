"""Event categories as data: each with the hours the grid has to resolve one.

Past its deadline an event escalates to the district (`escalation.py`), which gets
`DISTRICT_HOURS` more before the event shows as overdue there too.
"""

from __future__ import annotations

from miniapps.reports.schemas import CategoryOut

CATEGORIES: dict[str, CategoryOut] = {
    c.code: c
    for c in (
        CategoryOut("road", "道路破损 Damaged road", 72),
        CategoryOut("lighting", "路灯故障 Street light out", 48),
        CategoryOut("sanitation", "环境卫生 Litter and waste", 24),
        CategoryOut("drainage", "排水积水 Blocked drain, flooding", 12),
        CategoryOut("noise", "噪音扰民 Noise", 24),
        CategoryOut("safety", "安全隐患 Safety hazard", 6),
        CategoryOut("other", "其他 Other", 120),
    )
}
DISTRICT_HOURS = 24
