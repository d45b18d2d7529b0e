"""The connection to the Docker Engine, and telling a lost daemon from other errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions

from orchestrator.errors import DockerLostError, DockerUnavailableError

PING_TIMEOUT = 5  # seconds; a live daemon answers /_ping at once


def connect(timeout: int = 600) -> docker.DockerClient:
    """A client for the engine named by DOCKER_HOST (or the local socket), checked with a ping."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise DockerUnavailableError(
            f"cannot reach the Docker daemon at {where} ({_reason(exc)}); "
            "is it running? Start it (e.g. 'systemctl start docker') or set DOCKER_HOST."
        ) from None
    return client


def alive(client: docker.DockerClient) -> bool:
    """Whether the daemon answers a ping now. The client's own timeout is minutes long
    (builds stream for that long), so the ping sets a short one of its own."""
    try:
        return client.api.get(f"{client.api.base_url}/_ping", timeout=PING_TIMEOUT).ok
    except requests.exceptions.RequestException:
        return False


@contextmanager
def lost_daemon_check(client: docker.DockerClient) -> Iterator[None]:
    """Turn a connection error into DockerLostError when the daemon is really gone.

    A dropped connection alone proves nothing (``wait(timeout=)`` reports its own read
    timeout as a ConnectionError, docker/docker-py#1966), so the daemon is pinged first."""
    try:
        yield
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        if alive(client):
            raise
        raise DockerLostError(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("No such file or directory", "Connection refused", "Permission denied"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:160] if text else type(exc).__name__
