"""An image two processes need at once is built once: the second waits for the first's
build lock, then finds the image and reuses it (the nox workers of a run whose cells
share a base used to build it side by side)."""

from __future__ import annotations

import threading
import time

import pytest

from orchestrator.build import images
from tests.unit.run.test_cache import Engine


def test_the_second_process_waits_for_the_build_and_reuses_the_image(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tag = "oxzep7/base:py3.11-abc"
    client = Engine({})
    request = images.BuildRequest(tag, tmp_path / "logs" / "py3.11.build.log", {})
    context = images.BuildContext("FROM scratch\n")
    holding = threading.Event()

    def other_process_builds() -> None:
        with images._build_lock(tag):
            holding.set()
            time.sleep(0.3)
            client.tags[tag] = "sha256:built-by-the-other"

    other = threading.Thread(target=other_process_builds)
    other.start()
    holding.wait()
    # Were it to build, it would fail: the fake engine cannot run anything.
    image_id, built = images.ensure(client, context, request)  # type: ignore[arg-type]
    other.join()
    assert (image_id, built) == ("sha256:built-by-the-other", False)
    assert "built meanwhile" in request.log_path.read_text()


def test_different_images_do_not_wait_for_each_other(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with images._build_lock("oxzep7/base:py3.11-abc"):
        acquired = threading.Event()

        def other() -> None:
            with images._build_lock("oxzep7/base:py3.13-def"):
                acquired.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert acquired.wait(timeout=5)
        thread.join()


@pytest.mark.parametrize("tag", ["oxzep7/cell:py3.9-click7.1.2-0123456789abcdef", "x" * 300])
def test_the_lock_file_name_is_short_and_safe_whatever_the_tag(tmp_path, monkeypatch, tag):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with images._build_lock(tag):
        (lock,) = (tmp_path / "cache" / "oxzep7" / "locks").iterdir()
    assert len(lock.name) < 40 and "/" not in lock.name
