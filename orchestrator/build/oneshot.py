"""Carry out a rendered Dockerfile in ONE container, then commit it as ONE layer.

The classic builder (the only one the SDK speaks to) costs seconds per step even for a
step that runs nothing, and cannot mount a cache. Here the parent image is started once,
as root, with every file the Dockerfile COPYs already in place (put in with
``put_archive`` before the start, owners as ``COPY --chown`` says), a script that runs
the RUN steps in order with the ENV of each point, and a named volume holding uv's
download cache and the project's built wheels. What the container changed then becomes
the image, with the whole image config set at once (ENV, WORKDIR, USER, labels): as one
layer the script tarred itself, added by ``docker load`` (build/layer.py: a commit walks
the whole image on engines without a native diff), or by a commit where the image has no
``find`` or ``tar``.

Secrets: build args (index URLs with credentials, proxies) are written to a file in
the container that the script reads and deletes before anything else runs, so they
are in neither the committed layer, nor the image config (the container's own
environment holds only the parent image's, which a commit merges into the config), nor
its history (which records only the command ``sh /.oxzep7-build/build.sh``).
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import secrets
import shlex
import tarfile
import tempfile
import threading
import time
from collections.abc import Mapping
from typing import IO, Any, NoReturn

import docker
import docker.errors
import requests.exceptions
from docker.types import Mount

from orchestrator import LABEL_PREFIX
from orchestrator.build import images, layer, project
from orchestrator.build.recipe import Copy, Env, Recipe, RecipeError, Run, Workdir, parse
from orchestrator.environment import PROXY_VARS

CACHE_VOLUME = "oxzep7-cache"  # uv's downloads and the project's wheels, shared by builds
CACHE_MOUNT = "/var/cache/oxzep7"
BUILD_DIR = "/.oxzep7-build"
# Set for the build only (never committed): the cache, and where project wheels go.
BUILD_ONLY_ENV = {
    "UV_CACHE_DIR": f"{CACHE_MOUNT}/uv",
    "UV_LINK_MODE": "copy",  # the cache is another filesystem: hard links cannot cross
    # uv names each package it must fetch ("Identified uncached distribution: x==1"):
    # the build log shows what was downloaded, and what came from the cache.
    "RUST_LOG": "uv_installer=debug",
}
_USES_UV = re.compile(r"\buv (pip|build)\b")
KEEP_CONFIG = (
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "Labels",
    "ExposedPorts",
    "Volumes",
    "StopSignal",
    "Shell",
    "OnBuild",
    "Healthcheck",
)


def build(
    client: docker.DockerClient,
    context: images.BuildContext,
    request: images.BuildRequest,
    timeout: float = images.BUILD_TIMEOUT,
) -> str:
    """Build ``context`` as ``request.tag`` in one container and one commit; returns the
    image id. ``request.build_env`` adds variables for the build script only (not
    committed). Raises images.BuildFailed with the log's tail."""
    log_path = request.log_path
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        try:
            recipe = parse(context.dockerfile)
        except RecipeError as exc:
            log.write(f"ERROR: {exc}\n")
            message = f"cannot build this Dockerfile in one step: {exc}"
            raise images.BuildFailed(message, "") from None
        try:
            return _Build(client, recipe, request, log, timeout).run(context)
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            log.write(f"\nERROR: {exc}\n")
            log.flush()
            raise images.BuildFailed(str(exc), images.tail(log_path)) from None


class _Build:
    """One build: a container from the recipe's parent runs the script, then is
    committed as the image."""

    def __init__(
        self,
        client: docker.DockerClient,
        recipe: Recipe,
        request: images.BuildRequest,
        log: Any,
        timeout: float,
    ) -> None:
        self.client, self.recipe, self.request = client, recipe, request
        self.log, self.timeout = log, timeout
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self.log.write(text)
        self.log.flush()

    def fail(self, line: str, message: str) -> NoReturn:
        self.say(f"\nERROR: {line}\n")
        raise images.BuildFailed(message, images.tail(self.request.log_path))

    def run(self, context: images.BuildContext) -> str:
        try:
            parent: dict[str, Any] = self.client.api.inspect_image(self.recipe.parent)  # type: ignore[no-untyped-call]
        except docker.errors.ImageNotFound:
            self.say(f"ERROR: the parent image {self.recipe.parent} is not here\n")
            raise images.BuildFailed(f"no image {self.recipe.parent}", "") from None
        self.say(
            f"oxzep7: building {self.request.tag} in one container from {self.recipe.parent}\n"
        )
        container = self.client.containers.create(
            self.recipe.parent,
            name=container_name(self.request.tag),
            command=["sh", f"{BUILD_DIR}/build.sh"],
            user="root",
            working_dir="/",
            labels=dict(self.request.labels),  # the image's own: a commit merges them in
            mounts=[Mount(target=CACHE_MOUNT, source=_cache_volume(self.client), type="volume")],
        )
        try:
            request = self.request
            archive = _archive(self.recipe, context, request.buildargs, request.build_env)
            container.put_archive("/", archive)
            self._run_script(container)
            return self._load(container, parent) or self._commit(container, parent)
        finally:
            _remove(container)

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _run_script(self, container: Any) -> None:
        container.start()
        self.say(f"oxzep7: container started at {self._elapsed():.2f} s\n")
        timer = threading.Timer(self.timeout, _kill, (container,))
        timer.daemon = True
        timer.start()
        try:
            for chunk in container.logs(stream=True, follow=True):
                self.say(chunk.decode("utf-8", errors="replace"))
            status = container.wait(timeout=60)["StatusCode"]
        finally:
            timer.cancel()
        if self._elapsed() >= self.timeout:
            self.fail(f"build timed out after {self.timeout:.0f} s", "build timed out")
        if status != 0:
            self.fail(
                f"the build script exited with {status}", f"build step failed (exit {status})"
            )
        self.say(f"oxzep7: build steps done at {self._elapsed():.2f} s\n")

    def _load(self, container: Any, parent: dict[str, Any]) -> str | None:
        """The image made from the layer the script tarred (see build/layer.py); None
        when it left none."""
        conf = config(parent.get("Config") or {}, self.recipe, self.request.labels)
        image_id = layer.load(self.client, container, parent, conf, self.request.tag)
        if image_id is not None:
            self.say(
                f"oxzep7: loaded {self.request.tag} ({image_id}) at {self._elapsed():.2f} s"
                " (the build's changes as one layer, no commit)\n"
            )
        return image_id

    def _commit(self, container: Any, parent: dict[str, Any]) -> str:
        repository, _, version = self.request.tag.rpartition(":")
        committed = self.client.api.commit(
            str(container.id),
            repository=repository,
            tag=version,
            message=f"oxzep7: {self.recipe.parent} + one container run of the rendered Dockerfile",
            conf=config(parent.get("Config") or {}, self.recipe, self.request.labels),
        )
        self.say(
            f"oxzep7: committed {self.request.tag} ({committed['Id']}) at {self._elapsed():.2f} s\n"
        )
        return str(committed["Id"])


def container_name(tag: str) -> str:
    """The build container's name: what it builds (for ``docker ps``), and a random end
    (two runs may build the same image at once)."""
    return f"oxzep7-build-{re.sub(r'[^A-Za-z0-9_.-]', '-', tag)}-{secrets.token_hex(3)}"


def config(parent: Mapping[str, Any], recipe: Recipe, labels: Mapping[str, str]) -> dict[str, Any]:
    """The committed image's config: the parent's, with the Dockerfile's ENV, WORKDIR,
    USER and labels. Cmd is set so the build command does not become the image's."""
    conf = {key: parent[key] for key in KEEP_CONFIG if parent.get(key) is not None}
    env = dict(item.partition("=")[::2] for item in conf.get("Env") or [])
    env.update(recipe.env)
    conf["Env"] = [f"{k}={v}" for k, v in env.items()]
    if recipe.workdir:
        conf["WorkingDir"] = recipe.workdir
    if recipe.user:
        conf["User"] = recipe.user
    conf["Labels"] = {**(conf.get("Labels") or {}), **recipe.labels, **labels}
    if not conf.get("Cmd") and not conf.get("Entrypoint"):
        conf["Cmd"] = ["/bin/sh"]
    return conf


def script(recipe: Recipe, build_env: Mapping[str, str]) -> str:
    """The shell script that carries out ``recipe``'s steps (COPY's files are in place)."""
    lines = [
        "set -e",
        f"if [ -f {BUILD_DIR}/args.env ]; then . {BUILD_DIR}/args.env; fi",
        f"rm -rf {BUILD_DIR}",  # the build args leave the filesystem before any step runs
        "unset UV_NO_CACHE",
        *(f"export {k}={shlex.quote(v)}" for k, v in {**BUILD_ONLY_ENV, **build_env}.items()),
        *layer.script_start(),
        "cd /",
    ]
    total = len(recipe.steps)
    for number, step in enumerate(recipe.steps, 1):
        if isinstance(step, Env):
            lines += [f"export {k}={shlex.quote(v)}" for k, v in step.values]
            continue
        if isinstance(step, Workdir):
            lines += [f"mkdir -p {shlex.quote(step.path)}", f"cd {shlex.quote(step.path)}"]
            continue
        if isinstance(step, Copy):
            continue  # the files were put in place before the start
        assert isinstance(step, Run)
        lines.append(f"echo {shlex.quote(f'Step {number}/{total} : RUN {step.command}')}")
        if _USES_UV.search(step.command):
            # Concurrent builds would each download what the cache lacks: one at a time,
            # every wheel is downloaded once (a warm cache makes the wait short).
            lines.append(f"flock {CACHE_MOUNT}/.uv.lock /bin/sh -c {shlex.quote(step.command)}")
        else:
            lines.append(f"/bin/sh -c {shlex.quote(step.command)}")
    lines += ["cd /", *layer.script_end(), "echo 'oxzep7: build steps done'"]
    return "\n".join(lines) + "\n"


def _args_file(recipe: Recipe, buildargs: Mapping[str, str]) -> str:
    """Build args as exports: the declared ARGs (with their defaults) and, as Docker
    does, the proxy variables."""
    values: dict[str, str] = {}
    for arg in recipe.args:
        name, sep, default = arg.partition("=")
        if name in buildargs:
            values[name] = buildargs[name]
        elif sep:
            values[name] = default
    values.update({k: v for k, v in buildargs.items() if k in PROXY_VARS})
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())


def _archive(
    recipe: Recipe,
    context: images.BuildContext,
    buildargs: Mapping[str, str],
    build_env: Mapping[str, str],
) -> IO[bytes]:
    """Every COPY's files at their destination, plus the build script and args (spooled
    to disk past a few MiB, like a build context)."""
    data = tempfile.SpooledTemporaryFile(max_size=images.SPOOL_BYTES)  # noqa: SIM115
    with tarfile.open(fileobj=data, mode="w") as archive:
        _add_file(archive, f"{BUILD_DIR}/build.sh", script(recipe, build_env).encode(), 0o755)
        _add_file(archive, f"{BUILD_DIR}/args.env", _args_file(recipe, buildargs).encode(), 0o600)
        for step in recipe.steps:
            if isinstance(step, Copy):
                _add_copy(archive, step, context)
        copied = [name for name in archive.getnames() if not name.startswith(BUILD_DIR[1:])]
        _add_file(archive, layer.COPIED, layer.copied_list(copied), 0o644)
    data.seek(0)
    return data


def _add_copy(archive: tarfile.TarFile, step: Copy, context: images.BuildContext) -> None:
    dest = step.dest
    directory = dest.endswith("/")
    made: set[str] = set()

    def folder(path: str) -> None:
        path = path.rstrip("/")
        if path and path != "/" and path not in made:
            made.add(path)
            _add_dir(archive, path, step.owner)

    for source in step.sources:
        if source in context.files:
            target = dest + source.rsplit("/", 1)[-1] if directory else dest
            folder(target.rsplit("/", 1)[0])
            _add_file(archive, target, context.files[source], 0o644, step.owner)
        elif source.endswith("/"):
            base = dest if directory else dest + "/"
            folder(base)
            for name, content in context.files.items():
                if name.startswith(source):
                    _parents(folder, base, name[len(source) :])
                    _add_file(archive, base + name[len(source) :], content, 0o644, step.owner)
            tree = context.trees.get(source)
            if tree is not None:
                _add_tree(archive, base, tree, step.owner, folder)
        else:
            raise images.BuildFailed(f"COPY source {source} is not in the build context", "")


def _parents(folder: Any, base: str, relative: str) -> None:
    parts = relative.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder(base + "/".join(parts[:i]))


def _add_tree(
    archive: tarfile.TarFile, base: str, tree: project.Tree, owner: tuple[int, int], folder: Any
) -> None:
    for entry in tree.entries:
        _parents(folder, base, entry.path)
        images.add_tree_entry(archive, _info(base + entry.path, entry.mode, owner), tree, entry)


def _info(path: str, mode: int, owner: tuple[int, int]) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path.lstrip("/"))
    info.mode, info.mtime = mode, project.MIN_MTIME
    info.uid, info.gid = owner
    return info


def _add_file(
    archive: tarfile.TarFile,
    path: str,
    content: bytes,
    mode: int,
    owner: tuple[int, int] = (0, 0),
) -> None:
    info = _info(path, mode, owner)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


def _add_dir(archive: tarfile.TarFile, path: str, owner: tuple[int, int]) -> None:
    info = _info(path, 0o755, owner)
    info.type = tarfile.DIRTYPE
    archive.addfile(info)


_GONE = (docker.errors.DockerException, requests.exceptions.RequestException)


def _kill(container: Any) -> None:
    with contextlib.suppress(*_GONE):
        container.kill()


def _remove(container: Any) -> None:
    with contextlib.suppress(*_GONE):  # the daemon is gone: leftovers are found by label
        container.remove(v=True, force=True)


@functools.cache
def _cache_volume(client: docker.DockerClient) -> str:
    """The shared cache volume, labelled like everything oxzep7 makes (created once)."""
    with contextlib.suppress(docker.errors.APIError):  # it may exist already
        client.api.create_volume(CACHE_VOLUME, labels={f"{LABEL_PREFIX}.kind": "cache"})
    return CACHE_VOLUME
