"""Loading policy files: precise file:line:column errors, extends, word-list files, safety, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import DETOXIFY_CATEGORIES, Limits, PolicyError, load_policy


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_of(path: Path, categories: set[str] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path, categories)
    return [str(issue) for issue in caught.value.errors]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        pytest.param("colour: red\n", 1, 1, "unknown key 'colour'", id="unknown top-level key"),
        pytest.param("limits:\n  max_lenght: 5\n", 2, 3, "unknown key 'max_lenght'", id="unknown nested key"),
        pytest.param("limits:\n  max_length: many\n", 2, 15, "must be an integer", id="wrong type"),
        pytest.param("limits: [1]\n", 1, 9, "limits must be a mapping", id="list instead of mapping"),
        pytest.param("limits:\n  rate_per_ip: 'lots'\n", 2, 16, "is not a rate", id="bad rate"),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {score: 'toxicty >= 0.5'}}\n",
            2, 54, "unknown category 'toxicty'", id="unknown category",
        ),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {score: 'toxicity >= 5'}}\n",
            2, 54, "between 0 and 1", id="threshold out of range",
        ),
        pytest.param(
            "rules:\n  - name: r\n    reason: x\n    action: hold\n    when: {regex: 'a(b'}\n",
            5, 19, "regex does not compile", id="bad regex",
        ),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: delete, when: {links: '> 1'}}\n",
            2, 34, "action 'delete' must be one of", id="unknown action",
        ),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {links: 3}}\n",
            2, 54, "must be a comparison", id="comparison without operator",
        ),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {colour: red}}\n",
            2, 47, "unknown key 'colour'", id="unknown condition",
        ),
        pytest.param("rules:\n  - {name: r, reason: x, action: hold}\n", 2, 5, "missing required key 'when'",
                     id="missing when"),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {words: nope}}\n",
            2, 54, "unknown word list 'nope'", id="unknown word list",
        ),
        pytest.param(
            "word_lists:\n  w: {file: missing.txt}\n", 2, 13, "does not exist", id="missing word-list file",
        ),
        pytest.param(
            "word_lists:\n  w: {file: ../outside.txt}\n", 2, 13, "outside the policies folder",
            id="path escape",
        ),
        pytest.param(
            "word_lists:\n  w: {file: /etc/passwd}\n", 2, 13, "outside the policies folder",
            id="absolute path",
        ),
        pytest.param("word_lists:\n  w: {words: [ok], mode: fuzzy}\n", 2, 26, "mode 'fuzzy'", id="bad mode"),
        pytest.param("word_lists:\n  w: {words: ['!!!']}\n", 2, 15, "no letters or digits", id="empty entry"),
        pytest.param(
            "rules:\n  - {name: r, reason: x, action: hold, when: {author_status: [vip]}}\n",
            2, 63, "author_status 'vip'", id="unknown author status",
        ),
        pytest.param("limits: {max_length: 3\n", 2, 1, "invalid YAML", id="syntax error"),
        pytest.param("extends: ../etc\n", 1, 10, "must be a policy name", id="extends with a path"),
        pytest.param("extends: nowhere\n", 1, 10, "no file nowhere.yaml", id="extends missing"),
        pytest.param(
            "limits:\n  report_limit: 1\n  report_limit: 2\n", 3, 3, "duplicate key", id="duplicate key"
        ),
        pytest.param("reason_codes: [Bad-Code]\n", 1, 16, "lower_snake_case", id="bad reason code"),
        pytest.param("remove_rules: [ghost]\n", 1, 16, "no inherited rule named 'ghost'", id="remove"),
        pytest.param("x: !!python/object:os.system 'true'\n", 1, 1, "unknown key 'x'", id="no objects"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_column(tmp_path: Path, text: str, line: int, column: int, message: str) -> None:
    path = write(tmp_path / "policies", "site.yaml", text)
    write(tmp_path, "outside.txt", "word\n")
    found = errors_of(path)
    assert any(error.startswith(f"{path}:{line}:{column}: ") and message in error for error in found), found


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yaml", "colour: red\nlimits: {max_length: x}\n")
    assert len(errors_of(path)) == 2


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path, "site.yaml", f"description: !!python/object/apply:os.system ['touch {marker}']\n")
    errors_of(path)
    assert not marker.exists()


def test_bad_word_in_file_is_located_by_line(tmp_path: Path) -> None:
    write(tmp_path, "words/list.txt", "# comment\nfine\n\n???\n")
    path = write(tmp_path, "site.yaml", "word_lists:\n  w: {file: words/list.txt}\n")
    assert errors_of(path) == [f"{tmp_path / 'words/list.txt'}:4:1: word '???' has no letters or digits"]


def test_symlink_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "secret.txt", "word\n")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "link.txt").symlink_to(tmp_path / "secret.txt")
    path = write(tmp_path / "policies", "site.yaml", "word_lists:\n  w: {file: link.txt}\n")
    assert "outside the policies folder" in errors_of(path)[0]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"a": "extends: a\n"}, "a -> a", id="self"),
        pytest.param({"a": "extends: b\n", "b": "extends: a\n"}, "a -> b -> a", id="two files"),
        pytest.param({"a": "extends: b\n", "b": "extends: c\n", "c": "extends: b\n"}, "b -> c -> b", id="deeper"),
    ],
)
def test_extends_cycles_are_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        write(tmp_path, f"{name}.yaml", text)
    found = errors_of(tmp_path / "a.yaml")
    assert any("extends forms a cycle" in error and message in error for error in found), found


def test_unknown_category_is_checked_against_the_active_model(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "site.yaml",
        "rules:\n  - {name: r, reason: x, action: hold, when: {score: 'spam >= 0.5'}}\n",
    )
    assert "unknown category 'spam'" in errors_of(path)[0]
    assert load_policy(path, {"spam"}).categories == {"spam"}


def test_defaults_and_categories(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "site.yaml", "rules: []\n"))
    assert policy.limits == Limits()
    assert policy.rules == ()
    assert policy.name == "site"


BASE = """
limits: {max_length: 300, report_limit: 3}
reason_codes: [spam]
word_lists:
  banned: {words: [idiot]}
rules:
  - {name: one, reason: r1, action: hold, when: {score: "toxicity >= 0.7"}}
  - {name: two, reason: r2, action: hold, when: {links: ">= 2"}}
  - {name: three, reason: r3, action: hold, when: {words: banned}}
"""


def test_extends_overrides_parts(tmp_path: Path) -> None:
    write(tmp_path, "default.yaml", BASE)
    child = write(
        tmp_path,
        "site.yaml",
        "extends: default\nlimits: {max_length: 500}\nreason_codes: [off_topic]\n"
        "word_lists:\n  banned: {words: [moron]}\n"
        "remove_rules: [two]\n"
        "rules:\n  - {name: one, reason: r1, action: reject, when: {score: 'toxicity >= 0.9'}}\n"
        "  - {name: four, reason: r4, action: hold, when: {first_comment: true}}\n",
    )
    policy = load_policy(child)
    assert policy.limits.max_length == 500
    assert policy.limits.report_limit == 3
    assert policy.reason_codes == ("spam", "off_topic")
    assert [(rule.name, rule.action) for rule in policy.rules] == [
        ("one", "reject"),
        ("three", "hold"),
        ("four", "hold"),
    ]
    assert policy.matcher.lists["banned"].entries == ("moron",)
    assert set(policy.files) == {str(tmp_path / "default.yaml"), str(child)}


def test_version_covers_the_extends_chain_and_word_files(tmp_path: Path) -> None:
    write(tmp_path, "words.txt", "idiot\n")
    write(tmp_path, "default.yaml", "word_lists:\n  w: {file: words.txt}\n")
    child = write(tmp_path, "site.yaml", "extends: default\n")
    first = load_policy(child).version
    assert first == load_policy(child).version
    write(tmp_path, "words.txt", "idiot\nmoron\n")
    second = load_policy(child).version
    write(tmp_path, "default.yaml", "word_lists:\n  w: {file: words.txt}\nrules: []\n")
    third = load_policy(child).version
    assert len({first, second, third}) == 3
    assert len(first) == 64


def test_min_length_above_max_length_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "site.yaml", "limits: {min_length: 10, max_length: 5}\n")
    assert "min_length exceeds" in errors_of(path)[0]


def test_shipped_policies_load() -> None:
    folder = Path(__file__).parents[3] / "policies"
    default = load_policy(folder / "default.yaml")
    example = load_policy(folder / "example-site.yaml")
    assert default.categories <= DETOXIFY_CATEGORIES
    assert example.limits.max_length == 500
    assert {"site_banned", "banned_words"} <= set(example.matcher.lists)
