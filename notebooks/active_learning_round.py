# %% [markdown]
# # One round of active learning: queue, label, retrain, gate, promote
#
# The loop `causa review-queue` -> label -> `causa train` -> `causa models promote`, from Python.
# Set `CAUSA_LAKE` (a lake a nightly run filled; default `./lake`), `CAUSA_REGISTRY` (the model registry; default
# `./lake/models`), `CAUSA_QUEUE_SIZE` (default 60) and `CAUSA_ANSWERS`: a labelled file (CSV, JSONL or Parquet with
# `feedback_id`, `sentiment` and optionally `causes`) holding the answers a person would give. By default the lake's
# own star ratings stand in for them (1-2 stars negative, 3 neutral, 4-5 positive; items without a rating stay
# unlabelled).

# %%
import os
from pathlib import Path

import pandas as pd

from causa.nlp.training import TrainingOptions, rating_to_sentiment, rows_from_frame
from causa.storage.lake import Lake
from causa.storage.promotion import PromotionRefused, compare, promote_compared
from causa.storage.registry import ModelRegistry
from causa.storage.review_queue import labelled_items, review_queue, write_queue
from causa.storage.schemas import FEEDBACK
from causa.storage.training_runs import train_version
from causa.table_files import read_table_file

lake = Lake(Path(os.environ.get("CAUSA_LAKE", "lake")))
registry = ModelRegistry(Path(os.environ.get("CAUSA_REGISTRY", "lake/models")))
queue_size = int(os.environ.get("CAUSA_QUEUE_SIZE", "60"))
if os.environ.get("CAUSA_ANSWERS"):
    answers = read_table_file(Path(os.environ["CAUSA_ANSWERS"]))
else:
    feedback = lake.read(FEEDBACK).to_pandas()
    rated = feedback[feedback["rating"].notna()]
    answers = pd.DataFrame({
        "feedback_id": rated["feedback_id"],
        "sentiment": [rating_to_sentiment(rating, (1.0, float(scale)))
                      for rating, scale in zip(rated["rating"], rated["rating_scale"])],
    })
print(f"{len(answers)} answers on file")

# %% [markdown]
# ## 1. The queue
#
# The most uncertain stored items (flagged needs_review first, then the smallest margin between the two likeliest
# sentiments), picked for coverage: near-duplicates enter once, and each language and predicted cause gets a share.

# %%
queue = review_queue(lake, queue_size)
print(f"queue: {len(queue)} items")
print(queue["language"].value_counts().to_dict())
print(queue["predicted_causes"].replace("", "(none)").value_counts().to_dict())
queue[["text", "language", "predicted_sentiment", "predicted_causes", "margin"]].head(10)

# %% [markdown]
# ## 2. Label
#
# A person fills in `sentiment` (and `causes`) in the queue file; here the answers file does, by feedback_id.
# Items it has no answer for stay unlabelled, and `causa train` skips them.

# %%
answered = [column for column in ("sentiment", "causes") if column in answers.columns]
labelled = queue.drop(columns=answered).merge(answers[["feedback_id", *answered]], on="feedback_id", how="left")
labelled["sentiment"] = labelled["sentiment"].fillna("")
labelled_path = Path("labelled_round_1.csv")
write_queue(labelled, labelled_path)
print(f"labelled {int((labelled['sentiment'] != '').sum())} of {len(labelled)} queue items into {labelled_path}")
labelled["sentiment"].replace("", "(no answer)").value_counts()

# %% [markdown]
# ## 3. Retrain
#
# `base="starter"` keeps the starter corpus in training, so a handful of new labels adds to the shipped knowledge
# instead of replacing it. `base_per_language` samples that corpus to keep this example quick; leave it out (None)
# for real use.

# %%
options = TrainingOptions(base="starter",
                          base_per_language=int(os.environ.get("CAUSA_BASE_PER_LANGUAGE", "0")) or None)
rows = rows_from_frame(pd.read_csv(labelled_path, keep_default_na=False), options, str(labelled_path))
result = train_version(rows, registry, None, options, {"name": "review queue, round 1"})
print(result.version, result.counts)

# %% [markdown]
# ## 4. Gate
#
# The candidate and the current model on the same held-out rows: enough examples per class, and no credible drop
# (a paired bootstrap's 95% interval). A first round of a few dozen labels is usually too small to tell: the gate
# then says how many more labelled examples each class needs.

# %%
comparison = compare(registry, result.version)
pd.DataFrame({"candidate": comparison.candidate_scores, comparison.current: comparison.current_scores,
              "delta": comparison.deltas})

# %% [markdown]
# ## 5. Promote (if the gate certifies it), and the next round's queue
#
# The next queue leaves out what was labelled in this round (`causa review-queue --exclude labelled_round_1.csv`).

# %%
try:
    promote_compared(registry, comparison, reason="review queue, round 1")
    print("promoted", registry.promoted())
except PromotionRefused as refused:
    print(refused)
print("promoted now:", registry.promoted() or "none (the shipped default model)")
next_queue = review_queue(lake, queue_size, labelled_items([labelled_path]))
already = set(labelled.loc[labelled["sentiment"] != "", "feedback_id"])
print(f"next queue: {len(next_queue)} items, {len(already & set(next_queue['feedback_id']))} of them labelled before")
