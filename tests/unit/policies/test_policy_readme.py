"""The README's examples are real: every one-line condition in policies/README.md loads as a rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policies import load_policy

README = Path(__file__).parents[3] / "policies" / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
WHEN_LINES = [
    line.split("#")[0].strip() if "'" not in line else line.strip()
    for block in BLOCKS
    for line in block.splitlines()
    if line.startswith("when: {")
]


def test_readme_has_condition_examples() -> None:
    assert len(WHEN_LINES) >= 18


@pytest.mark.parametrize("when", WHEN_LINES)
def test_each_condition_example_loads(tmp_path: Path, when: str) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(f"rules:\n  - name: example\n    reason: example\n    action: hold\n    {when}\n")
    assert len(load_policy(path).rules) == 1


def test_combined_condition_example_loads(tmp_path: Path) -> None:
    (block,) = [block for block in BLOCKS if block.startswith("when:\n  all:")]
    path = tmp_path / "example.yaml"
    indented = "\n".join("    " + line for line in block.splitlines())
    path.write_text(f"rules:\n  - name: example\n    reason: example\n    action: hold\n{indented}\n")
    assert len(load_policy(path).rules) == 1


def test_rule_and_word_list_examples_load(tmp_path: Path) -> None:
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "slurs.txt").write_text("slur\n")
    (tmp_path / "default.yaml").write_text(
        "rules:\n  - {name: shouting, reason: s, action: hold, when: {links: '> 1'}}\n"
    )
    for block in BLOCKS:
        if "rules:" in block and "when:" in block:
            path = tmp_path / "site.yaml"
            path.write_text(block)
            assert load_policy(path).rules, block
