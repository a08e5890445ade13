"""A local GOV.UK Notify API: v2 send/get/list routes, the JWT check, delivery callbacks."""

from civic_simulators.govuk_notify.app import SimulatorConfig, create_app

__all__ = ["SimulatorConfig", "create_app"]
