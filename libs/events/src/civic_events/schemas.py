"""JSON Schemas of every event, exported to and checked against ``libs/events/schemas/``.

python -m civic_events.schemas export   # write one file per event type
python -m civic_events.schemas check    # fail if the files are stale or a change breaks
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from civic_events.base import Event
from civic_events.compatibility import breaking_changes
from civic_events.registry import EVENT_TYPES

__all__ = [
    "SCHEMA_DIR",
    "breaking_changes",
    "check_schemas",
    "export_schemas",
    "main",
    "render",
    "schema_for",
    "write_schemas",
]

# src/civic_events/schemas.py -> libs/events/schemas/
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(model: type[Event]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = DIALECT
    schema["x-ce-type"] = model.ce_type
    schema["x-topic"] = model.topic.name
    return schema


def export_schemas() -> dict[str, dict[str, Any]]:
    """ce_type -> the JSON Schema of its model."""
    return {ce_type: schema_for(model) for ce_type, model in EVENT_TYPES.items()}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema. Files of event types that no longer exist are left for ``check``
    to report: removing an event type from a ``.v1`` topic is itself a breaking change."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for ce_type, schema in export_schemas().items():
        path = directory / f"{ce_type}.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def check_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Problems with the checked-in schemas; empty when they match the models."""
    problems: list[str] = []
    fresh = export_schemas()
    for ce_type, schema in fresh.items():
        path = directory / f"{ce_type}.json"
        if not path.exists():
            problems.append(f"{ce_type}: not exported yet; run export")
            continue
        checked_in = json.loads(path.read_text(encoding="utf-8"))
        breaks = breaking_changes(checked_in, schema)
        problems += [f"{ce_type}: breaking change: {problem}" for problem in breaks]
        if not breaks and path.read_text(encoding="utf-8") != render(schema):
            problems.append(f"{ce_type}: schema changed compatibly; run export")
    for path in sorted(directory.glob("*.json")):
        if path.stem not in fresh:
            problems.append(f"{path.stem}: event type removed; that breaks its consumers")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m civic_events.schemas")
    parser.add_argument("command", choices=["export", "check"])
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.command == "export":
        written = write_schemas(args.dir)
        print(f"wrote {len(written)} schemas to {args.dir}")
        return 0
    problems = check_schemas(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(EVENT_TYPES)} schemas up to date in {args.dir}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
