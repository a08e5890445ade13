"""`python -m civic_simulators.govuk_pay`: serve the GOV.UK Pay simulator (settings from env)."""

from __future__ import annotations

import uvicorn

from civic_simulators.govuk_pay.app import create_app
from civic_simulators.govuk_pay.settings import PaySimulatorSettings


def main() -> None:
    settings = PaySimulatorSettings.from_env()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False)


if __name__ == "__main__":
    main()
