"""The one status a citizen follows, derived from the departments' steps."""

from __future__ import annotations

from collections.abc import Sequence

from miniapps.services.schemas import Overall

# What each decision may follow: a step waits (submitted), is taken up (accepted), and ends
# approved or refused; "needs more" goes back to the citizen, who resubmits the step.
DECISION_FROM: dict[str, tuple[str, ...]] = {
    "accepted": ("submitted",),
    "needs_more": ("submitted", "accepted"),
    "approved": ("submitted", "accepted"),
    "refused": ("submitted", "accepted"),
}


def overall(submitted: bool, steps: Sequence[str]) -> Overall:
    """draft before submission; then refused if any step is, completed when all are
    approved, needs_more while a department waits for the citizen, else in_progress."""
    if not submitted:
        return "draft"
    if "refused" in steps:
        return "refused"
    if steps and all(status == "approved" for status in steps):
        return "completed"
    if "needs_more" in steps:
        return "needs_more"
    return "in_progress"
