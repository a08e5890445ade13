"""The simulators' settings come from their prefixed environment variables, typed."""

from __future__ import annotations

import pytest
from civic_simulators.planning_backoffice import PlanningSimulatorSettings
from civic_simulators.waste_contractor import WasteSimulatorSettings

pytestmark = pytest.mark.unit


def test_each_simulator_reads_its_own_prefix_with_the_fields_types() -> None:
    waste = WasteSimulatorSettings.from_env(
        {
            "WASTE_SIM_PORT": "9101",
            "WASTE_SIM_RETURN_VISIT_AFTER_S": "0.5",
            "WASTE_SIM_DISTRICT_FILE": "/tmp/district.json",
            "WASTE_SIM_INTAKE_API_KEY": "",
            "WASTE_SIM_NO_SHOW_SUFFIX": "77",
            "PLANNING_SIM_PORT": "1",
        }
    )
    assert (waste.port, waste.return_visit_after_s) == (9101, 0.5)
    assert waste.district_file == "/tmp/district.json" and waste.intake_api_key is None
    assert waste.no_show_suffix == "77" and waste.collected_after_s == 10.0
    planning = PlanningSimulatorSettings.from_env({"PLANNING_SIM_AUTO_EVERY_S": "3"})
    assert (planning.port, planning.auto_every_s, planning.step_after_s) == (8102, 3.0, 5.0)
    with pytest.raises(ValueError):
        WasteSimulatorSettings.from_env({"WASTE_SIM_PORT": "eighty"})
