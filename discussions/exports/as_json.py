"""The JSON export: the document itself, as build() makes it. Its keys and codes never
change, whatever the session's language (docs/export-schema.json)."""

import json


def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
