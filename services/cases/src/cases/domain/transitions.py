"""Deciding a move: the steps a requested status change takes, or why it changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from cases.domain.machines import StateMachine, TransitionRefused


@dataclass(frozen=True)
class Step:
    old_status: str
    new_status: str
    notify_resident: bool
    automatic: bool = False


def plan(machine: StateMachine, current: str, target: str) -> list[Step]:
    """The steps from `current` to `target`, followed by any automatic follow-on.

    Raises `TransitionRefused` when the move is not in the machine, including any move out of a
    final status. Re-entering the same status (e.g. a second return visit) is allowed only
    where the machine lists it, and then changes nothing visible.
    """
    if machine.is_final(current):
        raise TransitionRefused(machine.case_type, current, target)
    edge = machine.edge(current, target)
    steps: list[Step] = []
    if edge.source != edge.target:
        steps.append(Step(current, target, edge.notify_resident))
    status = target
    while status in machine.automatic:
        follow = machine.edge(status, machine.automatic[status])
        steps.append(Step(status, follow.target, follow.notify_resident, automatic=True))
        status = follow.target
    return steps
