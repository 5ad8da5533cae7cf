"""How well Civil Comments annotators agree with each other (`python -m training.agreement`).

The ceiling for any model judged against the majority of a few annotators: if other people, shown
the same comment, predict that majority only weakly, no model reading the text can do much better.
Printed as ROC-AUC so it reads beside training.evaluate's figures, on the held-out comments alone and
on all of them. Panels are drawn with a fixed seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from sklearn.metrics import roc_auc_score

from training import data

Votes = list[int]  # 1 per annotator who judged the comment toxic, 0 per "not toxic"


def _majority(votes: Votes) -> int:
    return int(sum(votes) / len(votes) >= 0.5)  # as training.evaluate binarises the soft label


def _share(votes: Votes) -> float:
    return sum(votes) / len(votes)


def panel_auc(comments: list[Votes], predictor: int, target: int, rng: random.Random) -> tuple[float, int] | None:
    """ROC-AUC of the toxic share among `predictor` annotators for the majority of `target` others,
    over the comments with at least that many annotators."""
    scores, labels = [], []
    for votes in comments:
        if len(votes) < predictor + target:
            continue
        drawn = rng.sample(votes, predictor + target)
        scores.append(_share(drawn[:predictor]) + rng.random() * 1e-9)  # break ties at random
        labels.append(_majority(drawn[predictor:]))
    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores)), len(labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    texts = data.civil_comments_texts(args.data_dir)
    ballots = data.civil_comments_ballots(args.data_dir)
    everything = {cid: [int(b is not None) for b in votes] for cid, votes in ballots.items() if cid in texts}
    held_out = {cid: votes for cid, votes in everything.items() if data.is_validation(texts[cid])}
    selections = {"validation split": list(held_out.values()), "all comments": list(everything.values())}
    print("Civil Comments (Toxic Spans): ROC-AUC of some annotators' toxic share for other annotators' majority")
    for name, comments in selections.items():
        rng = random.Random(args.seed)
        majority_toxic = sum(map(_majority, comments)) / len(comments)
        print(f"\n{name}: {len(comments)} comments, {majority_toxic:.0%} toxic by majority")
        for predictor, target in ((1, 1), (1, 2), (1, 3), (2, 2), (3, 3), (4, 3)):
            result = panel_auc(comments, predictor, target, rng)
            if result is not None:
                auc, n = result
                print(f"  {predictor} annotator(s) -> majority of {target} others: {auc:.3f}  (n={n})")


if __name__ == "__main__":
    main()
