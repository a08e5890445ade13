"""The ways an operating command fails, and the exit code of each."""

from __future__ import annotations


class OpsError(Exception):
    """The command could not do its work (a refusal, Kafka lost while working): exit 1."""

    exit_code = 1


class UsageError(OpsError):
    """The command was asked for something that makes no sense: exit 2, like argparse."""

    exit_code = 2


class Unreachable(OpsError):
    """Kafka did not answer when the command began: nothing was done, exit 2 (as for bad input)."""

    exit_code = 2
