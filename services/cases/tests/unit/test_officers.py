"""What an officer may do, where a case may go by hand, and that every refusal has an answer."""

from __future__ import annotations

import pytest
from cases.domain.machines import machine_for
from cases.domain.officers import Officer
from cases.entrypoints.http import REFUSAL_STATUS_CODES
from cases.service_layer import officers

pytestmark = pytest.mark.unit

OFFICER = Officer("ann", "officer", frozenset({"missed_bin"}))
LEAD = Officer("bea", "team_lead", frozenset({"missed_bin", "report"}))


def test_officers_see_only_their_teams_case_types() -> None:
    assert OFFICER.sees("missed_bin") and not OFFICER.sees("report")
    assert LEAD.sees("report")


def test_anyone_takes_a_case_but_only_a_team_lead_gives_one_away() -> None:
    assert OFFICER.may_assign_to("ann")
    assert not OFFICER.may_assign_to("bea")
    assert LEAD.may_assign_to("ann") and LEAD.may_assign_to("bea")


def test_a_case_moves_by_hand_only_to_listed_statuses_and_nowhere_once_final() -> None:
    machine = machine_for("missed_bin")
    onward = machine.moves_from("return_visit_scheduled")
    assert onward == sorted(onward)
    assert "return_visit_scheduled" not in onward  # staying put is not a move to offer
    assert {"collected", "not_presented", "cancelled"} <= set(onward)
    assert machine.moves_from("closed") == []


def _refusals(kind: type[officers.Refused]) -> list[type[officers.Refused]]:
    return [kind, *(k for sub in kind.__subclasses__() for k in _refusals(sub))]


def test_every_refusal_has_a_status_code() -> None:
    refusals = set(_refusals(officers.Refused)) - {officers.Refused}
    assert refusals == set(REFUSAL_STATUS_CODES)
