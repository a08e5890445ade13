"""Operating commands for platform engineers: `python -m civic_runtime.ops <command>`.

`dlq list` and `dlq redrive` (dead letters back to their topic), `replay` (a consumer group back
to a time), `lag` (consumer groups behind their topics), `outbox` (unpublished events per
service database) and `api-client create` (delegated to intake). Every command takes `--json`.
"""
