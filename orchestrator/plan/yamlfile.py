"""Reading a YAML file into located data, within limits no file can get around.

This is the only place YAML enters oxzep7. Loading is safe (a ``yaml.SafeLoader``
subclass that never builds arbitrary objects) and remembers where every key and value
was written (``fields.LocatedMap``/``LocatedSeq``), so validation can cite lines.

Limits, each refused with a one-line ``fields.Invalid`` naming the line where there is
one: only regular files are read (a FIFO would block, ``/dev/zero`` never ends), at most
``MAX_BYTES`` of them; mappings and lists nest at most ``MAX_DEPTH`` deep; the document
holds at most ``MAX_NODES`` values once aliases and ``<<`` merge keys are expanded (a
kilobyte of nested merges can stand for 10^9 pairs), and an alias may not refer to the
node that contains it; an integer has at most ``MAX_DIGITS`` characters.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml

from orchestrator.plan.fields import Field, Invalid, LocatedMap, LocatedSeq, Spot, document

MAX_BYTES = 1 << 20  # a matrix file is a few hundred bytes
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_DIGITS = 32

_MERGE_TAG = "tag:yaml.org,2002:merge"
_Pair = tuple[yaml.Node, yaml.Node]


def read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``); ``what`` names it in
    messages ("matrix file"). Opening never blocks: a FIFO is refused, not waited on."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Invalid(f"{what} not found") from None
    except (OSError, ValueError) as exc:  # permissions, NUL bytes in the name, ...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise Invalid(f"cannot read the {what}: {reason}") from None
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):
        os.close(handle)
        if stat.S_ISDIR(mode):
            raise Invalid(f"is a directory, not a {what}")
        raise Invalid(f"is not a regular file (a pipe or a device?); give a {what}")
    with os.fdopen(handle, "rb") as file:
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise Invalid(f"cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Invalid(f"larger than {limit} bytes; that is no {what}")
    return data


def load(path: Path, what: str = "matrix file") -> Field | None:
    """The document in the YAML file ``path`` as a field, or None when it is empty."""
    raw = read_bytes(path, what, MAX_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("the file is not UTF-8 text", raw[: exc.start].count(b"\n") + 1) from None
    data = parse(text)
    if data is None:
        return None
    return document(data, data.line if isinstance(data, (LocatedMap, LocatedSeq)) else 1)


def parse(text: str) -> Any:
    """The YAML document in ``text`` (None when there is none); problems raise Invalid."""
    try:
        return _construct(_Loader(text))
    except yaml.MarkedYAMLError as exc:
        raise _invalid(exc) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        problem = f"{exc.reason} (character #x{exc.character:04x})"
        raise Invalid(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise Invalid(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # not expected within MAX_DEPTH; never a traceback all the same
        raise Invalid(f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None


def _construct(loader: _Loader) -> Any:
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _invalid(exc: yaml.MarkedYAMLError) -> Invalid:
    mark = exc.problem_mark or exc.context_mark
    problem = str(exc.problem or exc.context or exc)
    if exc.context and problem.startswith("but "):  # "expected a single document ..."
        problem = f"{exc.context}, {problem}"
    problem = " ".join(problem.split())
    return Invalid(f"invalid YAML: {problem}", mark.line + 1 if mark else None)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _fail(problem: str, node: yaml.Node) -> NoReturn:
    raise Invalid(f"invalid YAML: {problem}", _line(node))


# --- The size of a document, aliases and merges expanded ------------------------------------


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node) -> None:
    """Refuse a document that expands beyond MAX_NODES values or MAX_DEPTH levels, or
    whose aliases refer to a node containing them. Each distinct node is visited once
    (sizes are memoized), so this costs as much as the file is long, whatever it expands to.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth), aliases expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            below = [sizes[id(part)] for part in _children(node)]
            size = 1 + sum(values for values, _ in below)
            depth = 1 + max((levels for _, levels in below), default=0)
            if size > MAX_NODES:
                _fail(f"expands to more than {MAX_NODES} values (through aliases or '<<')", node)
            if depth > MAX_DEPTH:
                _fail(f"nested more than {MAX_DEPTH} levels deep (aliases included)", node)
            sizes[key] = (size, depth)
            open_nodes.discard(key)
        elif key in open_nodes:
            _fail("an alias refers to a node that contains it", node)
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((node, True))
            stack += [(part, False) for part in _children(node)]


# --- The loader ----------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """A SafeLoader building LocatedMap and LocatedSeq, recording duplicate keys, bounding
    nesting while composing and the length of integers."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                line = int(mark.line) + 1
                raise Invalid(f"invalid YAML: nested more than {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        if len(str(node.value)) > MAX_DIGITS:
            _fail(f"a number of more than {MAX_DIGITS} digits", node)
        return int(super().construct_yaml_int(node))

    def construct_located_map(self, node: yaml.MappingNode) -> Iterator[LocatedMap]:
        data = LocatedMap(_line(node))
        yield data  # hand the object out first so aliases to this node resolve to it
        merged, written = self._pairs(node)
        for key_node, value_node in merged:
            self._put(data, key_node, value_node)
        first: dict[Any, int] = {}
        for key_node, value_node in written:  # after the merged ones: written keys win
            key = self._put(data, key_node, value_node)
            line = _line(key_node)
            if key in first:
                data.duplicates.append((key, line, first[key]))
            first.setdefault(key, line)

    def construct_located_seq(self, node: yaml.SequenceNode) -> Iterator[LocatedSeq]:
        data = LocatedSeq(_line(node))
        yield data
        for item in node.value:
            data.append(self.construct_object(item))
            data.spots.append(_spot(item))

    def construct_unsupported(self, node: yaml.Node) -> NoReturn:
        _fail(f"the tag {node.tag!r} is not supported in matrix files", node)

    def _pairs(self, node: yaml.MappingNode) -> tuple[list[_Pair], list[_Pair]]:
        """The pairs ``<<`` merges bring in (weakest first) and the pairs written out.

        pyyaml's own flatten_mapping rewrites nodes in place, which would make
        merged keys look like duplicates; this expands merges without that
        (``check_expansion`` has bounded how many pairs that can be).
        """
        merged: list[_Pair] = []
        written: list[_Pair] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                written.append((key_node, value_node))
                continue
            many = isinstance(value_node, yaml.SequenceNode)
            sources = value_node.value if many else [value_node]
            for source in reversed(sources):  # the first mapping listed wins, so it goes last
                if not isinstance(source, yaml.MappingNode):
                    _fail("'<<' needs a mapping or a list of mappings", source)
                inner_merged, inner_written = self._pairs(source)
                merged += inner_merged + inner_written
        return merged, written

    def _put(self, data: LocatedMap, key_node: yaml.Node, value_node: yaml.Node) -> Any:
        key = self.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            _fail("a key must be a plain value, not a list or mapping", key_node)
        data[key] = self.construct_object(value_node)
        data.key_spots[key] = _spot(key_node)
        data.value_spots[key] = _spot(value_node)
        return key


def _spot(node: yaml.Node) -> Spot:
    text = node.value if isinstance(node, yaml.ScalarNode) else None
    return Spot(_line(node), text)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_located_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_located_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_bounded_int)
for _tag in ("omap", "pairs", "set"):  # they build plain lists/sets without line numbers
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_unsupported)
