"""JSON Schema snapshots of every event and the generated event catalog page.

``kasa-contracts-snapshot`` rewrites them; ``--check`` fails when a model changed and its
snapshot was not regenerated, which is how an unplanned wire change is caught.
"""

import argparse
import json
import sys
from pathlib import Path

from kasa_contracts.catalog import CATALOG

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = PACKAGE_ROOT / "schemas"
EVENTS_DOC = PACKAGE_ROOT.parents[1] / "docs" / "events.md"


def render_schemas() -> dict[Path, str]:
    return {
        SCHEMA_DIR / f"{key}.json": json.dumps(
            spec.envelope.model_json_schema(mode="serialization"), indent=2, sort_keys=True
        )
        + "\n"
        for key, spec in sorted(CATALOG.items())
    }


def render_events_doc() -> str:
    lines = [
        "# Event catalog",
        "",
        "Generated from `libs/contracts` by `make contracts`; do not edit by hand.",
        "Every event travels in the envelope described in `docs/architecture.md` on the",
        "`kasa.events` topic exchange, with the routing key below.",
        "",
        "| routing key | producer | consumers | entity | description |",
        "|---|---|---|---|---|",
    ]
    for key, spec in sorted(CATALOG.items()):
        doc = (spec.payload.__doc__ or "").strip().splitlines()[0]
        consumers = ", ".join(spec.consumers)
        lines.append(
            f"| `{key}` | {spec.producer} | {consumers} | {spec.payload.entity_type} | {doc} |"
        )
    lines += [
        "",
        "JSON Schemas: `libs/contracts/schemas/<routing key>.json`.",
        "",
        "## Values on the wire",
        "",
        "- Amounts are JSON strings in fixed-point notation (`DecimalString`), never numbers",
        "  and never exponents.",
        "- In `changes` (before and after), `kasa_contracts.changes.wire_value` writes every",
        "  value, whichever service and database produced it: a decimal in fixed-point",
        '  notation without trailing zeros (`"1500.5"`, `"100"`), dates and times in ISO 8601,',
        "  ids as strings.",
        "",
    ]
    return "\n".join(lines)


def expected_files() -> dict[Path, str]:
    return {**render_schemas(), EVENTS_DOC: render_events_doc()}


def stale_files() -> list[Path]:
    stale = [p for p, text in expected_files().items() if not p.exists() or p.read_text() != text]
    known = set(render_schemas())
    stale += [p for p in SCHEMA_DIR.glob("*.json") if p not in known]
    return stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a snapshot is stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        sys.exit(1 if stale else 0)
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path in SCHEMA_DIR.glob("*.json"):
        path.unlink()
    for path, text in expected_files().items():
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
