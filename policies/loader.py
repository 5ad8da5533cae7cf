"""Loading a policy file: the extends chain, word-list files, merging, hashing; all or nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import limits
import yaml

from policies.model import DETOXIFY_CATEGORIES, Limits, Policy, PolicyError, PolicyIssue, Rule
from policies.normalise import fold_entry
from policies.schema import IDENTIFIER, ParseState, RuleParser, known
from policies.words import KINDS, MODES, WordList, WordMatcher
from policies.yamlnodes import Reader, compose

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
TOP_KEYS = frozenset(
    {"extends", "description", "limits", "regex_timeout_ms", "premoderation", "reason_codes", "word_lists",
     "rules", "remove_rules"}
)  # fmt: skip
_INT_LIMITS = {"min_length": 0, "max_length": 1, "duplicate_window_seconds": 0, "report_limit": 1,
               "rejection_rate_window_days": 1}  # fmt: skip
_RATE_LIMITS = ("rate_per_author", "rate_per_author_article", "rate_per_ip")
_LIST_KEYS = frozenset({"kind", "mode", "case_sensitive", "words", "file", "description"})


@dataclass
class _Merged:
    """The policy as layers are applied, parent first."""

    limits: dict[str, Any] = field(default_factory=dict)
    regex_timeout_ms: int = 50
    trusted_skip_article_premoderation: bool = True
    reason_codes: list[str] = field(default_factory=list)
    word_lists: dict[str, WordList] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)


class _Loader:
    def __init__(self, root: Path, known_categories: frozenset[str]) -> None:
        self.root = root
        self.issues: list[PolicyIssue] = []
        self.state = ParseState(known_categories)
        self.merged = _Merged()
        self.digest = hashlib.sha256()
        self.files: list[str] = []

    def _read(self, path: Path, label: str) -> str | None:
        data = path.read_bytes()
        self.files.append(str(path))
        # Names go into the hash too, so moving content between files changes the version.
        self.digest.update(label.encode() + b"\0" + data + b"\0")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            self.issues.append(PolicyIssue(str(path), 1, 1, f"not UTF-8: {error}"))
            return None

    def _inside(self, reader: Reader, node: yaml.Node, relative: str) -> Path | None:
        candidate = Path(relative)
        resolved = (self.root / candidate).resolve()
        if candidate.is_absolute() or not resolved.is_relative_to(self.root.resolve()):
            reader.error(node, f"file {relative!r} lies outside the policies folder")
            return None
        if not resolved.is_file():
            reader.error(node, f"file {relative!r} does not exist")
            return None
        return resolved

    def load(self, path: Path, chain: tuple[str, ...] = ()) -> None:
        label = str(path)
        text = self._read(path, path.name)
        if text is None:
            return
        reader = Reader(label, self.issues)
        known_issues = len(self.issues)
        node = compose(text, label, self.issues)
        if node is None:
            if len(self.issues) == known_issues:
                # An emptied file (a truncated save) must not become a policy that publishes everything.
                self.issues.append(PolicyIssue(label, 1, 1, "policy file is empty"))
            return
        fields = reader.mapping(node, "policy", TOP_KEYS)
        if fields is None:
            return
        if "extends" in fields:
            value_node = fields["extends"][1]
            parent = reader.string(value_node, "extends")
            if parent is not None and not NAME.match(parent):
                reader.error(value_node, f"extends {parent!r} must be a policy name such as default")
            elif parent is not None and parent in (*chain, path.stem):
                cycle = " -> ".join((*chain, path.stem, parent))
                reader.error(value_node, f"extends forms a cycle: {cycle}")
            elif parent is not None:
                parent_path = self.root / f"{parent}.yaml"
                if not parent_path.is_file():
                    reader.error(value_node, f"extends {parent!r}: no file {parent}.yaml in the policies folder")
                else:
                    self.load(parent_path, (*chain, path.stem))
        self._apply(reader, fields)

    def _apply(self, r: Reader, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> None:
        m = self.merged
        if "description" in fields:
            r.string(fields["description"][1], "description")
        if "limits" in fields:
            self._limits(r, fields["limits"][1])
        if "regex_timeout_ms" in fields:
            timeout = r.integer(fields["regex_timeout_ms"][1], "regex_timeout_ms", minimum=1)
            m.regex_timeout_ms = timeout if timeout is not None else m.regex_timeout_ms
        if "premoderation" in fields:
            options = r.mapping(fields["premoderation"][1], "premoderation", ("trusted_authors_skip_article",))
            if options and "trusted_authors_skip_article" in options:
                node = options["trusted_authors_skip_article"][1]
                flag = r.boolean(node, "trusted_authors_skip_article")
                m.trusted_skip_article_premoderation = m.trusted_skip_article_premoderation if flag is None else flag
        if "reason_codes" in fields:
            for code, node in r.strings(fields["reason_codes"][1], "reason_codes") or []:
                if not IDENTIFIER.match(code):
                    r.error(node, f"reason code {code!r} must be lower_snake_case")
                elif code not in m.reason_codes:
                    m.reason_codes.append(code)
        if "word_lists" in fields:
            lists = r.mapping(fields["word_lists"][1], "word_lists", _AnyKey())
            for name, (key_node, value_node) in (lists or {}).items():
                if not IDENTIFIER.match(name):
                    r.error(key_node, f"word list name {name!r} must be lower_snake_case")
                    continue
                word_list = self._word_list(r, name, value_node)
                if word_list is not None:
                    m.word_lists[name] = word_list
        if "remove_rules" in fields:
            for name, node in r.strings(fields["remove_rules"][1], "remove_rules") or []:
                if m.rules.pop(name, None) is None:
                    r.error(node, f"remove_rules: no inherited rule named {name!r}")
        if "rules" in fields:
            self._rules(r, fields["rules"][1])

    def _limits(self, r: Reader, node: yaml.Node) -> None:
        allowed = (*_INT_LIMITS, *_RATE_LIMITS)
        for key, (_, value_node) in (r.mapping(node, "limits", allowed) or {}).items():
            if key in _INT_LIMITS:
                number = r.integer(value_node, f"limits.{key}", minimum=_INT_LIMITS[key])
                if number is not None:
                    self.merged.limits[key] = number
                continue
            rate = r.string(value_node, f"limits.{key}")
            if rate is None:
                continue
            try:
                limits.parse_many(rate)
            except ValueError:
                r.error(value_node, f'limits.{key} {rate!r} is not a rate such as "10/minute;100/day"')
                continue
            self.merged.limits[key] = rate

    def _word_list(self, r: Reader, name: str, node: yaml.Node) -> WordList | None:
        fields = r.mapping(node, f"word list {name!r}", _LIST_KEYS)
        if fields is None:
            return None
        kind = r.string(fields["kind"][1], "kind") if "kind" in fields else "banned"
        if kind is not None and kind not in KINDS:
            r.error(fields["kind"][1], f"kind {kind!r} must be one of: {', '.join(KINDS)}")
        mode = r.string(fields["mode"][1], "mode") if "mode" in fields else "word"
        if mode is not None and mode not in MODES:
            r.error(fields["mode"][1], f"mode {mode!r} must be one of: {', '.join(MODES)}")
        case_sensitive = (
            r.boolean(fields["case_sensitive"][1], "case_sensitive") if "case_sensitive" in fields else False
        )
        entries: list[str] = []
        if "words" in fields:
            for word, item in r.strings(fields["words"][1], "words") or []:
                if not fold_entry(word).text:
                    r.error(item, f"word {word!r} has no letters or digits left after normalisation")
                entries.append(word)
        if "file" in fields:
            entries.extend(self._word_file(r, fields["file"][1]))
        if "words" not in fields and "file" not in fields:
            r.error(node, f"word list {name!r} needs words or file")
        if kind not in KINDS or mode not in MODES or case_sensitive is None:
            return None
        return WordList(name, kind, mode, case_sensitive, tuple(entries))  # type: ignore[arg-type]

    def _word_file(self, r: Reader, node: yaml.Node) -> list[str]:
        relative = r.string(node, "file")
        path = self._inside(r, node, relative) if relative is not None else None
        if path is None:
            return []
        text = self._read(path, str(path.relative_to(self.root.resolve())))
        entries = []
        for number, line in enumerate((text or "").splitlines(), start=1):
            entry = line.split("#", 1)[0].strip()
            if not entry:
                continue
            if not fold_entry(entry).text:
                self.issues.append(PolicyIssue(str(path), number, 1, f"word {entry!r} has no letters or digits"))
            entries.append(entry)
        return entries

    def _rules(self, r: Reader, node: yaml.Node) -> None:
        parser = RuleParser(r, self.state)
        seen: set[str] = set()
        for item in r.sequence(node, "rules") or []:
            rule = parser.rule(item)
            if rule is None:
                continue
            if rule.name in seen:
                r.error(item, f"duplicate rule name {rule.name!r}")
                continue
            seen.add(rule.name)
            # A child's rule with an inherited name replaces it in place; new names go last.
            self.merged.rules[rule.name] = rule

    def finish(self, name: str) -> Policy:
        m = self.merged
        for ref, reader, node in self.state.word_refs:
            if ref not in m.word_lists:
                reader.error(node, f"unknown word list {ref!r}")
        if self.issues:
            raise PolicyError(self.issues)
        policy_limits = replace(Limits(), **m.limits)
        if policy_limits.min_length > policy_limits.max_length:
            raise PolicyError([PolicyIssue(self.files[-1], 1, 1, "limits.min_length exceeds limits.max_length")])
        return Policy(
            name=name,
            version=self.digest.hexdigest(),
            limits=policy_limits,
            rules=tuple(m.rules.values()),
            reason_codes=tuple(m.reason_codes),
            categories=frozenset(self.state.categories),
            matcher=WordMatcher(m.word_lists.values()),
            regex_timeout_seconds=m.regex_timeout_ms / 1000,
            trusted_skip_article_premoderation=m.trusted_skip_article_premoderation,
            files=tuple(self.files),
        )


class _AnyKey:
    """Lets `Reader.mapping` accept any key (word-list names are the editor's)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def load_policy(path: Path, known_categories: Collection[str] | None = None) -> Policy:
    """Load and validate one policy file and everything it pulls in; raises PolicyError."""
    loader = _Loader(path.parent, known(known_categories, DETOXIFY_CATEGORIES))
    if not path.is_file():
        raise PolicyError([PolicyIssue(str(path), 1, 1, "policy file does not exist")])
    loader.load(path)
    return loader.finish(path.stem)
