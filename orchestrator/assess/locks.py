"""Versions in use from lock files: ``uv.lock``, ``poetry.lock``, ``Pipfile.lock``
(the last also names the interpreter it was locked for).
"""

from __future__ import annotations

import json

from orchestrator.assess.reader import Reader, tables


def uv_lock(reader: Reader) -> None:
    _toml_lock(reader, "uv.lock")


def poetry_lock(reader: Reader) -> None:
    _toml_lock(reader, "poetry.lock")


def _toml_lock(reader: Reader, filename: str) -> None:
    """``[[package]]`` tables with a name and a version: uv's and poetry's shape. uv also
    lists the project itself (a virtual or editable source at "."): not a dependency."""
    data = reader.toml(filename)
    if data is None:
        return
    for package in tables(data.get("package")):
        source = package.get("source")
        if isinstance(source, dict) and "." in (source.get("virtual"), source.get("editable")):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            reader.pin(name, version, filename)


def pipfile_lock(reader: Reader) -> None:
    text = reader.text("Pipfile.lock")
    if text is None:
        return
    try:
        data = json.loads(text)
    except ValueError:
        reader.problems.append("Pipfile.lock: not JSON")
        return
    if not isinstance(data, dict):
        return
    meta = data.get("_meta")
    requires = meta.get("requires") if isinstance(meta, dict) else None
    if isinstance(requires, dict) and isinstance(requires.get("python_version"), str):
        reader.python(requires["python_version"], "Pipfile.lock _meta.requires.python_version")
    for section in ("default", "develop"):
        table = data.get(section)
        for name, entry in table.items() if isinstance(table, dict) else ():
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                reader.pin(name, version[2:], "Pipfile.lock")
