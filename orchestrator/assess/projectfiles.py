"""What a project declares and pins, read from its own files (nothing is run).

Declared dependencies: PEP 621 ``[project]`` (dependencies, optional-dependencies,
requires-python), PEP 735 ``[dependency-groups]``, Poetry's ``[tool.poetry]`` tables,
a Pipfile, a static setup.cfg, and, for applications that have nothing else, the
top-level requirements files. Versions in use: ``uv.lock``, ``poetry.lock``,
``Pipfile.lock``, then ``==`` pins of requirements files (pip-tools output with
``--hash`` and ``# via`` annotations included). Interpreters: ``.python-version``,
the Pipfile's ``python_version``, CI workflows' ``python-version``, tox's envlist,
the noxfile, requires-python. The test command: tox's commands, the noxfile, pytest
configuration.

Every file is input: bounded in size, parsed with safe parsers (TOML, JSON, YAML with
every scalar read as text, configparser without interpolation); a file that cannot
be read becomes a ``problem`` in the facts, never an exception.

``read_project`` reads the files in order of authority; one module per kind of file:
``declarations`` (pyproject.toml, setup.cfg, Pipfile), ``locks`` (uv.lock,
poetry.lock, Pipfile.lock), ``requirementfiles`` (pip requirements files),
``runconfig`` (interpreters and the test command: .python-version, tox, nox, CI,
pytest). ``reader`` holds the reader they record into, ``facts`` what comes out.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.assess import declarations, locks, requirementfiles, runconfig
from orchestrator.assess.facts import RUNTIME, Facts
from orchestrator.assess.reader import Reader


def read_project(root: Path) -> Facts:
    """The facts of the project in ``root`` (a directory)."""
    reader = Reader(root)
    # Interpreter in use, most authoritative first.
    runconfig.python_version_file(reader)
    declarations.pipfile(reader)
    # Declarations.
    pyproject = declarations.pyproject(reader)
    declarations.setup_cfg(reader)
    reader.installable = reader.installable or (root / "setup.py").is_file()
    # Locks, best first; requirements pins only fill what no lock names.
    locks.uv_lock(reader)
    locks.poetry_lock(reader)
    locks.pipfile_lock(reader)
    requirementfiles.requirements(
        reader, declare=not any(d.kind == RUNTIME for d in reader.declared)
    )
    # Interpreters elsewhere, and the test command.
    runconfig.tox(reader, pyproject)
    runconfig.noxfile(reader)
    runconfig.workflows(reader)
    runconfig.pytest_config(reader, pyproject)
    if reader.requires_python:
        lowest = runconfig.lowest_python(reader.requires_python)
        if lowest:
            reader.python(lowest, "requires-python (lowest allowed)")
    return reader.facts()
