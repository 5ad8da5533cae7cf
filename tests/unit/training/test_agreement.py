"""training.agreement: the annotator-agreement ceiling it prints for Civil Comments."""

from __future__ import annotations

import random

from training.agreement import panel_auc


def test_annotators_who_always_agree_predict_each_other_perfectly() -> None:
    comments = [[1] * 5 for _ in range(50)] + [[0] * 5 for _ in range(50)]
    result = panel_auc(comments, predictor=2, target=3, rng=random.Random(1))
    assert result == (1.0, 100)


def test_annotators_voting_at_random_predict_nothing() -> None:
    rng = random.Random(2)
    comments = [[int(rng.random() < 0.5) for _ in range(4)] for _ in range(4000)]
    result = panel_auc(comments, predictor=2, target=2, rng=rng)
    assert result is not None
    assert abs(result[0] - 0.5) < 0.05


def test_comments_with_too_few_annotators_are_left_out() -> None:
    comments = [[1, 1, 1], [0, 0, 0], [1, 1], [0, 0]]
    result = panel_auc(comments, predictor=1, target=2, rng=random.Random(3))
    assert result is not None and result[1] == 2
