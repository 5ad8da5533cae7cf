"""Webhook signatures: what a receiving site checks."""

from __future__ import annotations

from service.webhooks import sign, verify

BODY = b'{"id":"1","to":"published"}'


def test_signature_verifies_for_the_same_secret_and_body() -> None:
    assert verify("secret", sign("secret", 1_700_000_000, BODY), BODY, now=1_700_000_010)


def test_tampered_body_or_other_secret_fails() -> None:
    header = sign("secret", 1_700_000_000, BODY)
    assert not verify("secret", header, BODY + b" ", now=1_700_000_010)
    assert not verify("other", header, BODY, now=1_700_000_010)


def test_old_or_malformed_signature_fails() -> None:
    assert not verify("secret", sign("secret", 1_700_000_000, BODY), BODY, now=1_700_000_000 + 301)
    assert not verify("secret", "v1=abc", BODY, now=1_700_000_000)
