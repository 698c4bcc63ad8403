"""Active learning against random sampling on airline_en: how many labels each needs to reach a macro-F1 target.

Simulated rounds: start from a random seed of labelled tweets from the training part of the 80/20 split
(random_state=42, stratified), and each round add a batch of N more. `active` picks them as `causa review-queue`
does (the current model scores the unlabelled pool; needs_review first, then the smallest sentiment margin, then
causa.nlp.review_selection's uncertainty-and-diversity selection with language and cause quotas); `random` picks them
at random; `uncertainty` (optional) takes the N least sure, the queue's selection before diversity. Every round
retrains through `causa train`'s code path (causa.nlp.training.fit_version) and scores sentiment macro-F1 on the
fixed 20% test split. The labels come from the data set (the reasons mapped to causes as benchmarks/retraining.py
does). Nothing is written anywhere.

Usage: python benchmarks/active_learning.py [--data ../shared/data] [--batch 500] [--seed-size 500]
       [--target 0.74] [--max-labels 6000] [--strategies active,random]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.retraining import labelled_frame  # noqa: E402

STRATEGIES = ("active", "random", "uncertainty")
FAST_OPTIONS = {"base": "none", "split_col": "split", "calibration_folds": 2}
"""`causa train` with its own defaults except: no starter corpus (the set alone), the published split as held-out
rows, two calibration folds (quicker; the figures barely move)."""


@dataclasses.dataclass
class Curve:
    strategy: str
    points: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def labels_to_reach(self, target: float) -> int | None:
        return next((labels for labels, score in self.points if score >= target), None)


def simulate(strategy: str, rows, pool: list[int], test: list[int], options, seed: list[int], batch: int,
             target: float, max_labels: int, random_state: int) -> Curve:
    """One learning curve: rounds of retraining and picking until the target or the label budget is reached."""
    from causa.nlp.review_selection import cause_group, select_for_review
    from causa.nlp.training import LabelledRows, fit_version

    chooser = np.random.default_rng(random_state + 1)
    labelled = list(seed)
    curve = Curve(strategy)
    started = time.perf_counter()
    while True:
        chosen = labelled + test
        subset = LabelledRows([rows.texts[i] for i in chosen], [rows.languages[i] for i in chosen],
                              [rows.sentiments[i] for i in chosen], [rows.causes[i] for i in chosen],
                              ["train"] * len(labelled) + ["test"] * len(test))
        fitted = fit_version(subset, options, {"name": "airline_en active learning simulation"})
        score = fitted.metrics["model"]["all"]["sentiment"]["macro_f1"]
        curve.points.append((len(labelled), score))
        logging.info("%s: %d labels, macro-F1 %.4f (%.0f s so far)", strategy, len(labelled), score,
                     time.perf_counter() - started)
        if score >= target or len(labelled) + batch > max_labels:
            break
        taken = set(labelled)
        unlabelled = [i for i in pool if i not in taken]
        if strategy == "random":
            labelled += [int(i) for i in chooser.choice(unlabelled, batch, replace=False)]
            continue
        texts = [rows.texts[i] for i in unlabelled]
        languages = [rows.languages[i] for i in unlabelled]
        scores = fitted.model.score(texts, languages)
        margins = [np.subtract(*sorted(item.probabilities.values(), reverse=True)[:2]) for item in scores]
        order = sorted(range(len(unlabelled)), key=lambda k: (not scores[k].needs_review, margins[k], unlabelled[k]))
        if strategy == "uncertainty":
            picked = order[:batch]
        else:
            picked = select_for_review(texts, languages, [cause_group(item.causes) for item in scores], order, batch)
        labelled += [unlabelled[k] for k in picked]
    curve.seconds = time.perf_counter() - started
    return curve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="path of shared/data")
    parser.add_argument("--batch", type=int, default=500, help="items labelled per round (default 500)")
    parser.add_argument("--seed-size", type=int, default=500, help="random labelled items to start from (default 500)")
    parser.add_argument("--target", type=float, default=0.74, help="sentiment macro-F1 to reach (default 0.74)")
    parser.add_argument("--max-labels", type=int, default=6000, help="label budget per strategy (default 6000)")
    parser.add_argument("--strategies", default="active,random", help=f"comma-separated, of {list(STRATEGIES)}")
    parser.add_argument("--random-state", type=int, default=0, help="seed sample and random picks (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each round")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    strategies = [name.strip() for name in args.strategies.split(",") if name.strip()]
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        parser.error(f"unknown strategies {unknown}; choose from {list(STRATEGIES)}")
    folder = datasets.data_dir(args.data)
    if folder is None:
        print("no shared data found; pass --data PATH")
        return 2

    from causa.nlp.training import TrainingOptions, rows_from_frame

    options = TrainingOptions(**FAST_OPTIONS)
    rows = rows_from_frame(labelled_frame("airline_en", folder), options, "airline_en")
    pool = [i for i, split in enumerate(rows.split) if split == "train"]
    test = [i for i, split in enumerate(rows.split) if split == "test"]
    seed = [int(i) for i in np.random.default_rng(args.random_state).choice(pool, args.seed_size, replace=False)]
    print(f"airline_en: pool {len(pool)} training tweets (labels hidden until picked), fixed test split "
          f"{len(test)}; seed {args.seed_size} random, batch {args.batch} per round, target sentiment macro-F1 "
          f"{args.target:.2f}, budget {args.max_labels} labels")
    print(f"model: causa.nlp.training.fit_version with {FAST_OPTIONS} (other options: TrainingOptions' defaults)",
          flush=True)
    curves = [simulate(name, rows, pool, test, options, seed, args.batch, args.target, args.max_labels,
                       args.random_state) for name in strategies]

    print("\nlearning curve: labelled items -> sentiment macro-F1 on the test split")
    print(f"{'labels':>7}" + "".join(f"{curve.strategy:>13}" for curve in curves))
    by_labels = [dict(curve.points) for curve in curves]
    for labels in sorted({labels for curve in curves for labels, _ in curve.points}):
        print(f"{labels:>7}" + "".join(f"{points[labels]:>13.4f}" if labels in points else f"{'':>13}"
                                        for points in by_labels))
    print()
    reached = {}
    for curve in curves:
        needed = curve.labels_to_reach(args.target)
        reached[curve.strategy] = needed
        what = f"{needed} labels" if needed is not None else f"not within {curve.points[-1][0]} labels"
        print(f"{curve.strategy:<12} reaches {args.target:.2f} with {what} ({len(curve.points)} trainings, "
              f"{curve.seconds:.0f} s)")
    if "active" in reached and "random" in reached:
        active, random = reached["active"], reached["random"]
        if active is not None and random is not None:
            print(f"labels needed, active / random: {active} / {random} = {active / random:.2f}")
        elif active is not None:
            print(f"labels needed, active / random: below {active} / {curves[strategies.index('random')].points[-1][0]}"
                  f" = {active / curves[strategies.index('random')].points[-1][0]:.2f} (random did not reach it)")
        else:
            print("labels needed, active / random: active did not reach the target within the budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
