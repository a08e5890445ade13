"""Back-office codes mapped to our transitions, one mapping per system.

Our public statuses are kept apart from each back office's own vocabulary (as FixMyStreet does
with Echo and Whitespace codes): a code maps to the status it moves a case to, per case type.
"""

from __future__ import annotations

WASTE_CONTRACTOR = "waste_contractor"
PLANNING_BACK_OFFICE = "planning_back_office"

# system → back-office code → case type → our target status
BACKOFFICE_MAPPINGS: dict[str, dict[str, dict[str, str]]] = {
    WASTE_CONTRACTOR: {
        "ReturnVisitScheduled": {"missed_bin": "return_visit_scheduled"},
        "CollectionCompleted": {"missed_bin": "collected", "bulky_waste": "collected"},
        "BinNotPresented": {"missed_bin": "not_presented"},
    },
    PLANNING_BACK_OFFICE: {
        "ApplicationValidated": {"planning_application": "validated"},
        "ApplicationInvalid": {"planning_application": "invalid"},
        "ConsultationStarted": {"planning_application": "consultation"},
        "DecisionIssued": {"planning_application": "decided"},
        "ApplicationWithdrawn": {"planning_application": "withdrawn"},
        # BOPS's own application states, for a poller of its API.
        "assessment_in_progress": {"planning_application": "awaiting_decision"},
        "in_assessment": {"planning_application": "awaiting_decision"},
        "awaiting_determination": {"planning_application": "awaiting_decision"},
        "in_committee": {"planning_application": "awaiting_decision"},
        "invalidated": {"planning_application": "invalid"},
        "determined": {"planning_application": "decided"},
        "withdrawn": {"planning_application": "withdrawn"},
    },
}


def target_status(system: str, code: str, case_type: str) -> str | None:
    """Our status for a back-office code, or None when the code means nothing for this case type."""
    return BACKOFFICE_MAPPINGS.get(system, {}).get(code, {}).get(case_type)
