"""A stand-in for the waste contractor's collection system (its REST API), on 127.0.0.1:8101.

API (all under `/api/v1`, header `X-Api-Key` required; errors are application/problem+json):

- `GET /properties/{uprn}/collections?bin_type=<bin>`: the property's round and its collections
  around today: the last two scheduled and the next one, each with `job_reference`, `bin_type`,
  `round_id`, `scheduled_date`, `status` (`scheduled`, `completed`, `missed`, `not_presented`)
  and, when done, `completed_at` or `recorded_at`. 404 for an unknown property. Rounds come from
  the demo district file when `WASTE_SIM_DISTRICT_FILE` is set, else from a hash of the UPRN.
- `POST /missed-collections` `{council_reference, uprn, bin_type, reported_at}`: a work order
  for a missed bin, 201 `{job_reference: "MC-…", council_reference, status: "open", …}`; the same
  council reference again is 200 with the same job. 422 for an unknown property.
- `GET /missed-collections/{council_reference}`: the work order and its status, or 404.

After a work order the contractor books a return visit and then collects the bin (or records it
not presented), reporting each step to intake's signed back-office webhook (contractor.py).

Test and demo control (not part of the contractor's API): `PUT
/_simulator/properties/{uprn}/collections` with `{"bin_type", "scheduled_date", "status"}` sets
the latest collection of a bin; `POST /_simulator/reset` forgets what was set;
`POST /_simulator/disruptions {"round_id", "reason", ...}` reports a ServiceDisruption;
`GET /_simulator/reports` lists every report sent to intake and its delivery.

Run: `python -m civic_simulators.waste_contractor`; settings `WASTE_SIM_*`.
"""

from civic_simulators.waste_contractor.app import create_app
from civic_simulators.waste_contractor.settings import WasteSimulatorSettings

__all__ = ["WasteSimulatorSettings", "create_app"]
