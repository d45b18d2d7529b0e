"""The connection to the Docker Engine."""

from __future__ import annotations

import os

import docker
import docker.errors
import requests.exceptions

from orchestrator.errors import DockerUnavailableError


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


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("No such file or directory", "Connection refused", "Permission denied"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:160] if text else type(exc).__name__
