"""What the host lends to image builds: its CA bundle, index and proxy settings.

Behind a TLS-intercepting proxy (common in companies, and on oxzep7's own CI)
pip inside a build fails certificate checks unless it trusts the host's CA
bundle. We copy that bundle into the base image and point pip, requests and
OpenSSL at it; package-index and proxy settings are forwarded as build args.
Only a known list is forwarded: host-only settings such as PIP_FIND_LINKS
would point at paths that do not exist inside the image.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Where the host's trust store usually is, most specific first.
CA_ENV_VARS = ("OXZEP7_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
CA_DEFAULT_PATHS = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, some BSDs
)
# Settings forwarded into builds as build args (Docker also passes the proxy
# variables through without invalidating the cache).
INDEX_VARS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "UV_INDEX_URL")
# uv installs the cells' packages and reads its own names: pip's settings are passed on
# under them (an explicit UV_ setting wins), with pip's way of merging extra indexes.
UV_FROM_PIP = {
    "UV_INDEX_URL": "PIP_INDEX_URL",
    "UV_EXTRA_INDEX_URL": "PIP_EXTRA_INDEX_URL",
    "UV_INSECURE_HOST": "PIP_TRUSTED_HOST",
}
BUILD_ARG_VARS = (*INDEX_VARS, "UV_EXTRA_INDEX_URL", "UV_INSECURE_HOST", "UV_INDEX_STRATEGY")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian"


@dataclass(frozen=True)
class BuildEnvironment:
    """Host settings every build receives. ``index`` settings change what gets
    installed, so they are part of image hashes; proxies are not."""

    ca_bundle: bytes | None = None
    ca_source: str | None = None
    index: Mapping[str, str] = field(default_factory=dict)
    proxies: Mapping[str, str] = field(default_factory=dict)
    debian_mirror: str = DEFAULT_DEBIAN_MIRROR

    @property
    def buildargs(self) -> dict[str, str]:
        """Build args: index settings (also under uv's names) and proxies. They may hold
        credentials: builds must keep them out of images (see build/oneshot.py)."""
        uv = {uv: self.index[pip] for uv, pip in UV_FROM_PIP.items() if self.index.get(pip)}
        if uv.get("UV_EXTRA_INDEX_URL"):
            uv["UV_INDEX_STRATEGY"] = "unsafe-best-match"  # pip picks the best of all indexes
        return {**uv, **self.index, **self.proxies}

    def fingerprint(self) -> str:
        """What goes into image hashes: the trust store and the index settings."""
        digest = hashlib.sha256(self.ca_bundle or b"")
        for key, value in sorted(self.index.items()):
            digest.update(f"{key}={value}\n".encode())
        return digest.hexdigest()


def find_ca_bundle(env: Mapping[str, str]) -> Path | None:
    """The host CA bundle: the first of CA_ENV_VARS naming a file, else a usual path."""
    candidates = [env[var] for var in CA_ENV_VARS if env.get(var)] + list(CA_DEFAULT_PATHS)
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


def host_ca_bundle(env: Mapping[str, str]) -> Path | None:
    """The CA bundle oxzep7 trusts and lends to builds; none when OXZEP7_NO_CA_BUNDLE is set."""
    return None if env.get("OXZEP7_NO_CA_BUNDLE") else find_ca_bundle(env)


def from_host(env: Mapping[str, str] | None = None) -> BuildEnvironment:
    """Read the build environment from the host's environment variables."""
    env = os.environ if env is None else env
    bundle = host_ca_bundle(env)
    return BuildEnvironment(
        ca_bundle=bundle.read_bytes() if bundle else None,
        ca_source=str(bundle) if bundle else None,
        index={var: env[var] for var in INDEX_VARS if env.get(var)},
        proxies={var: env[var] for var in PROXY_VARS if env.get(var)},
        debian_mirror=env.get("OXZEP7_DEBIAN_MIRROR", DEFAULT_DEBIAN_MIRROR),
    )
