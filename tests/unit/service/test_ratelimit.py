"""The rate limiter: test-then-hit semantics and the in-memory storage's expiry."""

from __future__ import annotations

import pytest

from service.ratelimit import LimitCheck, RateLimiter


async def test_a_refused_hit_uses_up_no_other_allowance() -> None:
    limiter = RateLimiter()
    per_author = LimitCheck("per_author", "3/minute", ("site", "reader"))
    per_article = LimitCheck("per_author_article", "1/minute", ("site", "reader", "article"))
    assert await limiter.exceeded([per_author, per_article]) is None
    for _ in range(5):
        scope, retry_after = await limiter.exceeded([per_author, per_article]) or ("", 0)
        assert scope == "per_author_article"
        assert 1 <= retry_after <= 60
    other_article = LimitCheck("per_author_article", "1/minute", ("site", "reader", "other"))
    assert await limiter.exceeded([per_author, other_article]) is None  # 2 of 3 used, not 6


@pytest.mark.parametrize("expression", ["2/second", "2/minute;100/day"])
async def test_several_windows_each_count(expression: str) -> None:
    limiter = RateLimiter()
    check = LimitCheck("per_ip", expression, ("site", "203.0.113.1"))
    assert await limiter.exceeded([check]) is None
    assert await limiter.exceeded([check]) is None
    assert await limiter.exceeded([check]) is not None


async def test_expired_keys_are_swept_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter()
    clock = [1_000.0]
    monkeypatch.setattr("time.time", lambda: clock[0])
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    for n in range(50):
        await limiter.exceeded([LimitCheck("per_author", "1/second", ("site", f"reader-{n}"))])
    storage = limiter.storage
    assert len(storage.storage) >= 50  # type: ignore[attr-defined]
    clock[0] += 10
    await limiter.exceeded([LimitCheck("per_author", "1/second", ("site", "late"))])
    if storage.timer is not None:  # type: ignore[attr-defined]
        await storage.timer  # type: ignore[attr-defined]
    assert len(storage.storage) < 10  # type: ignore[attr-defined]
