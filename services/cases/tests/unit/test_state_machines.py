"""Every state machine: each listed move is allowed, every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from cases.domain.backoffice import BACKOFFICE_MAPPINGS, target_status
from cases.domain.machines import MACHINES, TransitionRefused, case_type_for_form, machine_for
from cases.domain.transitions import plan

pytestmark = pytest.mark.unit

EXPECTED_MOVES = {
    "missed_bin": {
        ("received", "return_visit_scheduled"),
        ("received", "collected"),
        ("received", "not_presented"),
        ("return_visit_scheduled", "return_visit_scheduled"),
        ("return_visit_scheduled", "collected"),
        ("return_visit_scheduled", "not_presented"),
        ("collected", "closed"),
        ("not_presented", "closed"),
        ("received", "cancelled"),
        ("return_visit_scheduled", "cancelled"),
    },
    "bulky_waste": {
        ("received", "awaiting_payment"),
        ("awaiting_payment", "booked"),
        ("awaiting_payment", "payment_failed"),
        ("payment_failed", "awaiting_payment"),
        ("payment_failed", "booked"),
        ("booked", "collected"),
        ("collected", "closed"),
        ("received", "cancelled"),
        ("awaiting_payment", "cancelled"),
        ("payment_failed", "cancelled"),
        ("booked", "cancelled"),
    },
    "new_bin": {
        ("received", "awaiting_payment"),
        ("awaiting_payment", "booked"),
        ("awaiting_payment", "payment_failed"),
        ("payment_failed", "awaiting_payment"),
        ("payment_failed", "booked"),
        ("booked", "delivered"),
        ("delivered", "closed"),
        ("received", "cancelled"),
        ("awaiting_payment", "cancelled"),
        ("payment_failed", "cancelled"),
        ("booked", "cancelled"),
    },
    "planning_application": {
        ("received", "validated"),
        ("received", "invalid"),
        ("invalid", "validated"),
        ("validated", "consultation"),
        ("validated", "awaiting_decision"),
        ("consultation", "awaiting_decision"),
        ("validated", "decided"),
        ("consultation", "decided"),
        ("awaiting_decision", "decided"),
        ("decided", "closed"),
        ("received", "withdrawn"),
        ("validated", "withdrawn"),
        ("invalid", "withdrawn"),
        ("consultation", "withdrawn"),
        ("awaiting_decision", "withdrawn"),
    },
    "report": {
        ("received", "investigating"),
        ("investigating", "action_scheduled"),
        ("action_scheduled", "resolved"),
        ("investigating", "resolved"),
        ("resolved", "closed"),
        ("received", "not_council_responsibility"),
        ("investigating", "not_council_responsibility"),
    },
    "foi_request": {
        ("received", "in_progress"),
        ("received", "awaiting_clarification"),
        ("in_progress", "awaiting_clarification"),
        ("awaiting_clarification", "in_progress"),
        ("in_progress", "responded"),
        ("responded", "closed"),
        ("received", "withdrawn"),
        ("in_progress", "withdrawn"),
        ("awaiting_clarification", "withdrawn"),
    },
}


def _all_pairs() -> list[tuple[str, str, str]]:
    return [
        (case_type, source, target)
        for case_type, machine in MACHINES.items()
        for source, target in itertools.product(sorted(machine.statuses), repeat=2)
    ]


def test_the_machines_are_exactly_the_declared_ones() -> None:
    assert set(MACHINES) == set(EXPECTED_MOVES)
    for case_type, machine in MACHINES.items():
        assert {(e.source, e.target) for e in machine.edges} == EXPECTED_MOVES[case_type]


@pytest.mark.parametrize(("case_type", "source", "target"), _all_pairs())
def test_each_move_is_allowed_only_when_declared(case_type: str, source: str, target: str) -> None:
    machine = machine_for(case_type)
    if (source, target) in EXPECTED_MOVES[case_type] and not machine.is_final(source):
        steps = plan(machine, source, target)
        if source != target:
            assert steps[0].old_status == source and steps[0].new_status == target
    else:
        with pytest.raises(TransitionRefused):
            plan(machine, source, target)


def test_nothing_leaves_a_final_status() -> None:
    for machine in MACHINES.values():
        for final in machine.final:
            assert machine.targets(final) == []


def test_a_collection_closes_a_missed_bin_case_at_once() -> None:
    steps = plan(machine_for("missed_bin"), "return_visit_scheduled", "collected")
    assert [(s.old_status, s.new_status, s.notify_resident, s.automatic) for s in steps] == [
        ("return_visit_scheduled", "collected", True, False),
        ("collected", "closed", False, True),
    ]


def test_a_second_return_visit_changes_nothing_visible() -> None:
    assert plan(machine_for("missed_bin"), "return_visit_scheduled", "return_visit_scheduled") == []


def test_a_decision_closes_a_planning_case() -> None:
    steps = plan(machine_for("planning_application"), "consultation", "decided")
    assert [s.new_status for s in steps] == ["decided", "closed"]


def test_forms_open_the_right_case_types() -> None:
    assert case_type_for_form("missed-bin") == "missed_bin"
    assert case_type_for_form("bulky-waste") == "bulky_waste"
    assert case_type_for_form("replacement-bin") == "new_bin"
    assert case_type_for_form("foi-request") == "foi_request"
    assert case_type_for_form("something-new") == "report"


def test_back_office_codes_map_to_statuses_their_machines_know() -> None:
    for codes in BACKOFFICE_MAPPINGS.values():
        for case_types in codes.values():
            for case_type, status in case_types.items():
                assert status in machine_for(case_type).statuses


def test_a_code_that_means_nothing_for_a_case_type_maps_to_nothing() -> None:
    assert target_status("waste_contractor", "BinNotPresented", "bulky_waste") is None
    assert target_status("waste_contractor", "CollectionCompleted", "missed_bin") == "collected"
    assert (
        target_status("planning_back_office", "in_committee", "planning_application")
        == "awaiting_decision"
    )
    assert target_status("unknown", "x", "missed_bin") is None
