"""The two ways an operating command fails, and the exit code of each."""

from __future__ import annotations


class OpsError(Exception):
    """The command could not do its work (Kafka or a database unreachable, a refusal): exit 1."""

    exit_code = 1


class UsageError(OpsError):
    """The command was asked for something that makes no sense: exit 2, like argparse."""

    exit_code = 2
