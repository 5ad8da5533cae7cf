"""Intake rate limits on the `limits` package: in memory for one process, in Redis for many."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """One rule to apply: a `limits` expression ("10/minute;100/day") and who it counts."""

    scope: str
    expression: str
    identifiers: tuple[str, ...]


class _SweepingMemoryStorage(MemoryStorage):
    """limits' in-memory storage, sweeping expired keys at most once a second.

    Upstream starts a sweep over every key after every hit; with a key per reader that grows with the
    audience (12% of intake CPU at ten thousand readers). Reads already skip expired keys, so sweeping
    less often only delays freeing their memory.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the name upstream's private method has
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


@lru_cache(maxsize=256)
def _parse(expression: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(expression))


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        # redis-py's asyncio client: already a dependency, unlike coredis.
        storage = (
            cast(Storage, storage_from_string(f"async+{redis_url}", implementation="redispy"))
            if redis_url
            else _SweepingMemoryStorage()
        )
        self.storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def exceeded(self, checks: Sequence[LimitCheck]) -> tuple[str, int] | None:
        """The first check that is over its limit (scope, seconds to wait); else count one hit on each.

        Testing all before hitting any means a refused comment uses up none of the author's allowance.
        """
        for check in checks:
            for item in _parse(check.expression):
                if not await self._limiter.test(item, check.scope, *check.identifiers):
                    stats = await self._limiter.get_window_stats(item, check.scope, *check.identifiers)
                    return check.scope, max(1, math.ceil(stats.reset_time - time.time()))
        for check in checks:
            for item in _parse(check.expression):
                await self._limiter.hit(item, check.scope, *check.identifiers)
        return None

    async def reset(self) -> None:
        await self.storage.reset()
