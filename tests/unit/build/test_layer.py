"""The layer a build script leaves, turned into ``docker save``'s format: the tarred
changes with their ``./`` dropped, one whiteout per topmost path gone, the digest of
exactly what is written; no layer when the script left none."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

from orchestrator.build import layer


def test_whiteouts_skip_what_went_with_its_folder():
    before = ["./a", "./a/b", "./a/b/c", "./d", "./e", "./e/f", "./keep"]
    after = ["./keep", "./e"]
    assert layer.whiteouts(before, after) == [".wh.a", ".wh.d", "e/.wh.f"]
    assert layer.whiteouts(["./x"], ["./x"]) == []


def test_copied_paths_are_listed_as_find_prints_them():
    assert layer.copied_list(["project/", "etc/oxzep7/x", "project/"]) == (
        b"./etc/oxzep7/x\n./project\n"
    )


def test_the_layer_is_the_changes_and_the_whiteouts_and_its_digest_is_of_those_bytes():
    inner = tar_bytes({"./opt/venv/new.py": b"print(1)\n", "./etc/oxzep7/freeze.txt": b"x==1\n"})
    outer = tar_bytes(
        {
            ".oxzep7-layer/before": b"./opt\n./opt/venv\n./opt/venv/old.py\n",
            ".oxzep7-layer/layer.tar": inner,
            ".oxzep7-layer/after": b"./opt\n./opt/venv\n./opt/venv/new.py\n",
        }
    )
    out = io.BytesIO()
    digest = layer._layer(io.BytesIO(outer), out)
    data = out.getvalue()
    assert digest == hashlib.sha256(data).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(data)) as result:
        names = result.getnames()
        new = result.extractfile("opt/venv/new.py")
        assert new is not None and new.read() == b"print(1)\n"
    assert names == ["opt/venv/new.py", "etc/oxzep7/freeze.txt", "opt/venv/.wh.old.py"]


def test_an_oversized_listing_is_not_read_and_makes_no_layer(monkeypatch):
    monkeypatch.setattr(layer, "MAX_LIST_BYTES", 10)
    outer = {
        ".oxzep7-layer/before": b"./a\n./b\n./c\n./d\n",
        ".oxzep7-layer/after": b"./a\n",
        ".oxzep7-layer/layer.tar": tar_bytes({"./a": b""}),
    }
    assert layer._layer(io.BytesIO(tar_bytes(outer)), io.BytesIO()) is None


def test_no_tar_or_no_listing_means_no_layer():
    lists = {".oxzep7-layer/before": b"./a\n", ".oxzep7-layer/after": b"./a\n"}
    assert layer._layer(io.BytesIO(tar_bytes(lists)), io.BytesIO()) is None
    only_tar = {".oxzep7-layer/layer.tar": tar_bytes({"./a": b""})}
    assert layer._layer(io.BytesIO(tar_bytes(only_tar)), io.BytesIO()) is None


def test_the_saved_image_names_the_parents_layers_and_carries_only_the_new_one():
    parent = {"RootFS": {"Layers": ["sha256:aaa", "sha256:bbb"]}, "Os": "linux"}
    config = layer._image_config(parent, {"User": "oxzep7"}, "ccc")
    out = io.BytesIO()
    layer._saved_image(out, io.BytesIO(b"LAYER"), "ccc", config, "oxzep7/cell:x")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as saved:
        (manifest,) = json.loads(saved.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert manifest["RepoTags"] == ["oxzep7/cell:x"]
        assert len(manifest["Layers"]) == 3
        assert saved.getnames()[0] == manifest["Layers"][-1]  # the one layer present
        written = json.loads(saved.extractfile(manifest["Config"]).read())  # type: ignore[union-attr]
    assert written["rootfs"]["diff_ids"] == ["sha256:aaa", "sha256:bbb", "sha256:ccc"]
    assert written["config"] == {"User": "oxzep7"}
    assert len(written["history"]) == 3  # one per layer: docker load checks the count


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
