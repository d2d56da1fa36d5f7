from __future__ import annotations

from bench.drills.procs import Cluster


async def run(cluster: Cluster) -> tuple[bool, str]:
    return False, "not written yet"


worker_killed = redis_down = run
