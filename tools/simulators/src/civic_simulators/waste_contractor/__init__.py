"""A stand-in for the waste contractor's collection system (its REST API), on 127.0.0.1:8101.

API (all under `/api/v1`, header `X-Api-Key` required):

- `GET /properties/{uprn}/collections?bin_type=<bin>`: the property's round and its collections
  around today: the last two scheduled and the next one, each with `job_reference`, `bin_type`,
  `round_id`, `scheduled_date`, `status` (`scheduled`, `completed`, `missed`, `not_presented`)
  and, when done, `completed_at` or `recorded_at`. 404 for an unknown property.

Test control (not part of the contractor's API): `PUT /_simulator/properties/{uprn}/collections`
with `{"bin_type", "scheduled_date", "status"}` sets the latest collection of a bin;
`POST /_simulator/reset` forgets what was set.

Run: `python -m civic_simulators.waste_contractor [--port 8101] [--api-key sim-key]`.
"""

from civic_simulators.waste_contractor.app import create_app

__all__ = ["create_app"]
