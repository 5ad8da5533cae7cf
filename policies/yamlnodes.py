"""Reading YAML as positioned nodes, so every validation message can say file:line:column."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

import yaml

from policies.model import PolicyIssue

T = TypeVar("T")

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_STR = "tag:yaml.org,2002:str"


def compose(text: str, file: str, issues: list[PolicyIssue]) -> yaml.Node | None:
    """Parse with the safe loader's composer: nodes only, no Python objects are ever constructed."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        issues.append(PolicyIssue(file, line, column, f"invalid YAML: {error.problem or error}"))
        return None


class Reader:
    """Typed accessors over nodes of one file; problems are collected rather than raised."""

    def __init__(self, file: str, issues: list[PolicyIssue]) -> None:
        self.file = file
        self.issues = issues

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.issues.append(PolicyIssue(self.file, mark.line + 1, mark.column + 1, message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: Collection[str], required: Collection[str] = ()
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return None
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, f"{what}: keys must be strings")
            elif key not in allowed:
                self.error(key_node, f"{what}: unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})")
            elif key in result:
                self.error(key_node, f"{what}: duplicate key {key!r}")
            else:
                result[key] = (key_node, value_node)
        for key in required:
            if key not in result:
                self.error(node, f"{what}: missing required key {key!r}")
        return result

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list")
            return None
        return list(node.value)

    def string(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return str(node.value)
        self.error(node, f"{what} must be a string")
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return str(node.value).lower() in ("true", "yes", "on")
        self.error(node, f"{what} must be true or false")
        return None

    def integer(self, node: yaml.Node, what: str, minimum: int = 0) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
            value = int(yaml.SafeLoader("").construct_yaml_int(node))
            if value >= minimum:
                return value
            self.error(node, f"{what} must be at least {minimum}")
            return None
        self.error(node, f"{what} must be an integer")
        return None

    def number(self, node: yaml.Node, what: str) -> float | None:
        if isinstance(node, yaml.ScalarNode) and node.tag in (_INT, _FLOAT):
            return float(node.value)
        self.error(node, f"{what} must be a number")
        return None

    def strings(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]] | None:
        """A list of strings; a single string is accepted as a list of one."""
        if isinstance(node, yaml.ScalarNode):
            value = self.string(node, what)
            return None if value is None else [(value, node)]
        items = self.sequence(node, what)
        if items is None:
            return None
        result = []
        for item in items:
            value = self.string(item, f"each item of {what}")
            if value is not None:
                result.append((value, item))
        return result
