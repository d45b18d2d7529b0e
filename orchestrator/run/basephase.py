"""The bases a run must build before its cells: those an engine lacks.

Bases missing on an engine are built first, all at once (up to :data:`AT_ONCE`), then the
cells run ``-j`` at a time. A base build mostly waits on the Debian mirror, the package
index and the disk, so several overlap well even on two cores; behind the cells that need
them, with ``-j`` workers each waiting for the same base, they were built one after another.
"""

from __future__ import annotations

from collections.abc import Sequence

import docker

from orchestrator.build import bases, images
from orchestrator.environment import BuildEnvironment
from orchestrator.models import Cell, Plan
from orchestrator.run import noxrun

AT_ONCE = 4


def missing(
    client: docker.DockerClient, plan: Plan, cells: Sequence[Cell], env: BuildEnvironment
) -> list[str]:
    """The base sessions of ``cells``' interpreters whose base image ``client``'s engine
    does not have (a base whose root filesystem is missing counts as missing); ``env``
    is what the host lends builds, part of each base's tag."""
    names = []
    for python in dict.fromkeys(cell.python for cell in cells):
        tag = bases.base_tag(client, plan.image_family, python, env)
        if tag is None or images.find_image(client, tag) is None:
            names.append(noxrun.base_session_name(python))
    return names
