"""YAML text for CI files: keys in the order given, multi-line scripts as literal blocks,
every value quoted as YAML needs (yaml.safe_dump does the escaping), and shell words
quoted for the scripts that carry them."""

from __future__ import annotations

import shlex
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(document: Any) -> str:
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=False
    )
    return text


def shell(word: str) -> str:
    return shlex.quote(word)
