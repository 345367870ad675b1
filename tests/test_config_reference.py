"""config/README.md is the schema rendered; its rows say what the schema says."""

from __future__ import annotations

from wsgcn.config_reference import REFERENCE_PATH, load_schema, render


def _key_rows(reference: str) -> list[str]:
    """The table rows that describe one key (five cells; the file table has two)."""
    return [line for line in reference.splitlines() if line.startswith("| `") and line.count(" | ") == 4]


def test_config_readme_is_the_rendered_schema():
    rendered = render(load_schema())
    assert REFERENCE_PATH.read_text(encoding="utf-8") == rendered, (
        "config/README.md differs from config/schema.yaml: run `python -m wsgcn.config_reference`"
    )


def test_every_schema_value_has_a_description():
    rows = _key_rows(render(load_schema()))
    undescribed = [row.split(" | ")[0] for row in rows if row.rstrip().endswith("|  |")]
    assert not undescribed, f"schema values without a description: {undescribed}"


def test_a_hand_written_schema_renders_as_worked_out():
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z]+$", "description": "goes to <root>/name"},
            "walk": {
                "type": "object",
                "description": "the random walk",
                "properties": {
                    "beta": {"type": "number", "exclusiveMinimum": 0, "default": 10, "description": "power"},
                    "scales": {
                        "type": "array",
                        "items": {"type": "number", "minimum": 0, "maximum": 2},
                        "minItems": 2,
                        "maxItems": 2,
                        "default": [0.5, 1.5],
                        "description": "a | b",
                    },
                    "inner": {
                        "type": "object",
                        "properties": {"mode": {"type": ["string", "null"], "enum": ["a", None], "description": "m"}},
                    },
                },
            },
        },
    }
    rows = _key_rows(render(schema))
    assert rows == [
        "| `name` | string | matches `^[a-z]+$` | required | goes to &lt;root>/name |",
        "| `walk.beta` | number | > 0 | `10` | power |",
        "| `walk.scales` | array of number | exactly 2 items; each >= 0 and <= 2 | `[0.5, 1.5]` | a \\| b |",
        '| `walk.inner.mode` | string or null | one of `"a"`, `null` | - | m |',
    ]
