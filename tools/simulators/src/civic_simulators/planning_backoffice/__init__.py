"""A stand-in for the planning back office (a BOPS-like case system), on 127.0.0.1:8102.

It moves each application through received → validated → consultation → awaiting decision →
decided, one step every `PLANNING_SIM_STEP_AFTER_S`, and reports each step (ApplicationReceived,
ApplicationValidated, ConsultationStarted with the site's UPRN and coordinates, DecisionIssued) to
intake's signed back-office webhook, as the real system's integration would.

- `GET /api/v1/applications/{reference}`: the application as the public register shows it, with
  its current stage (no applicant's or agent's contact details). 404 when unknown.
- `POST /_simulator/applications` (test and demo control): `{reference?, application_type,
  proposal, site {uprn, address, latitude, longitude}, applicant, agent?, decision?:
  "granted"|"refused", environmental_impact_assessment?}` starts an application; 409 when the
  reference exists.
- `GET /_simulator/reports`: every report sent to intake, with its delivery attempts.

Run: `python -m civic_simulators.planning_backoffice`; settings `PLANNING_SIM_*`.
"""

from civic_simulators.planning_backoffice.app import create_app
from civic_simulators.planning_backoffice.settings import PlanningSimulatorSettings

__all__ = ["PlanningSimulatorSettings", "create_app"]
