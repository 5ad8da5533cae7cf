"""The reason codes a moderator's decision or a reader's report may carry."""

from __future__ import annotations

from policies import Policy
from service.errors import ApiError

# The documented fixed set; a site's policy may add its own (`reason_codes:` in its YAML file).
REASON_CODES: tuple[str, ...] = (
    "spam",
    "toxicity",
    "insult",
    "threat",
    "hate_speech",
    "sexual_content",
    "off_topic",
    "personal_data",
    "illegal_content",
    "other",
)

# The status_reason of a published comment that reader reports put back in the queue.
REPORTED = "reported"


def allowed_reason_codes(policy: Policy) -> tuple[str, ...]:
    return REASON_CODES + tuple(code for code in policy.reason_codes if code not in REASON_CODES)


def check_reason_code(policy: Policy, code: str, field: str = "reason_code") -> None:
    allowed = allowed_reason_codes(policy)
    if code not in allowed:
        raise ApiError(
            422,
            "invalid_reason_code",
            f"`{field}` must be one of this site's reason codes.",
            field=field,
            allowed=list(allowed),
        )
