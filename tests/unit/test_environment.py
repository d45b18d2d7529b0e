"""environment.from_host: the CA bundle, index and proxy settings builds receive."""

from __future__ import annotations

import pytest

from orchestrator import environment
from orchestrator.environment import CA_ENV_VARS, INDEX_VARS, PROXY_VARS, from_host


@pytest.fixture
def bundles(tmp_path):
    """One distinct CA file per CA_ENV_VARS entry."""
    paths = {}
    for var in CA_ENV_VARS:
        path = tmp_path / f"{var}.pem"
        path.write_bytes(f"-----CERT {var}-----\n".encode())
        paths[var] = str(path)
    return paths


@pytest.mark.parametrize("first", range(len(CA_ENV_VARS)))
def test_ca_bundle_comes_from_the_first_env_var_naming_a_file(bundles, first):
    env = {var: bundles[var] for var in CA_ENV_VARS[first:]}
    build = from_host(env)
    expected = CA_ENV_VARS[first]
    assert build.ca_source == bundles[expected]
    assert build.ca_bundle == f"-----CERT {expected}-----\n".encode()


def test_env_var_naming_a_missing_file_is_skipped(bundles, tmp_path):
    env = {"OXZEP7_CA_BUNDLE": str(tmp_path / "missing.pem"), "PIP_CERT": bundles["PIP_CERT"]}
    assert from_host(env).ca_source == bundles["PIP_CERT"]


def test_no_ca_bundle_when_opted_out(bundles):
    build = from_host({**bundles, "OXZEP7_NO_CA_BUNDLE": "1"})
    assert build.ca_bundle is None
    assert build.ca_source is None


def test_index_and_proxy_settings_are_forwarded():
    env = {var: f"value-of-{var}" for var in (*INDEX_VARS, *PROXY_VARS)}
    build = from_host({**env, "OXZEP7_NO_CA_BUNDLE": "1"})
    assert dict(build.index) == {var: env[var] for var in INDEX_VARS}
    assert dict(build.proxies) == {var: env[var] for var in PROXY_VARS}
    # pip's settings also under uv's names, which uv reads; an explicit UV_ one wins.
    assert build.buildargs == {
        **env,
        "UV_EXTRA_INDEX_URL": env["PIP_EXTRA_INDEX_URL"],
        "UV_INSECURE_HOST": env["PIP_TRUSTED_HOST"],
        "UV_INDEX_STRATEGY": "unsafe-best-match",
    }


@pytest.mark.parametrize(
    "var", ["PIP_FIND_LINKS", "PIP_CONFIG_FILE", "HOME", "PATH", "AWS_SECRET_ACCESS_KEY"]
)
def test_other_host_settings_are_not_forwarded(var):
    build = from_host({var: "/host/only", "PIP_INDEX_URL": "https://pypi.example/simple"})
    assert var not in build.buildargs
    assert build.buildargs == {
        "PIP_INDEX_URL": "https://pypi.example/simple",
        "UV_INDEX_URL": "https://pypi.example/simple",
    }


def test_empty_settings_are_not_forwarded():
    assert from_host({"PIP_INDEX_URL": "", "HTTP_PROXY": ""}).buildargs == {}


def test_debian_mirror_defaults_and_can_be_overridden():
    assert from_host({}).debian_mirror == environment.DEFAULT_DEBIAN_MIRROR
    mirror = "http://mirror.example/debian"
    assert from_host({"OXZEP7_DEBIAN_MIRROR": mirror}).debian_mirror == mirror


def _fingerprint(tmp_path, ca: bytes | None = None, **env):
    if ca is not None:
        (tmp_path / "ca.pem").write_bytes(ca)
        env["OXZEP7_CA_BUNDLE"] = str(tmp_path / "ca.pem")
    else:
        env["OXZEP7_NO_CA_BUNDLE"] = "1"
    return from_host(env).fingerprint()


def test_fingerprint_changes_with_index_settings(tmp_path):
    base = _fingerprint(tmp_path)
    assert _fingerprint(tmp_path, PIP_INDEX_URL="https://a.example/simple") != base
    assert _fingerprint(tmp_path, PIP_INDEX_URL="https://a.example/simple") != _fingerprint(
        tmp_path, PIP_INDEX_URL="https://b.example/simple"
    )
    assert _fingerprint(tmp_path, PIP_EXTRA_INDEX_URL="x") != _fingerprint(
        tmp_path, PIP_TRUSTED_HOST="x"
    )


def test_fingerprint_changes_with_ca_content_not_its_path(tmp_path):
    one = _fingerprint(tmp_path, ca=b"cert one\n")
    assert _fingerprint(tmp_path, ca=b"cert two\n") != one
    assert _fingerprint(tmp_path) != one
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert _fingerprint(other, ca=b"cert one\n") == one


def test_fingerprint_ignores_proxies(tmp_path):
    proxies = {var: "http://proxy.example:3128" for var in PROXY_VARS}
    assert _fingerprint(tmp_path, **proxies) == _fingerprint(tmp_path)
    assert _fingerprint(tmp_path, ca=b"c", PIP_INDEX_URL="i", **proxies) == _fingerprint(
        tmp_path, ca=b"c", PIP_INDEX_URL="i"
    )
