"""Shared data for the assess tests: real projects' files and real advisories."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
PROJECTS = DATA / "projects"
ADVISORIES = DATA / "advisories"
UV = PROJECTS / "uv-curs-valutar-bnr"
POETRY = PROJECTS / "poetry-requests-demo"
PIPENV = PROJECTS / "pipenv-dj-tutorials"
