# %% [markdown]
# # Retrain on a labelled file, compare with the current model, promote
#
# The same steps as `causa train`, `causa models show` and `causa models promote`, from Python.
# Set `CAUSA_LABELS` (a CSV/JSONL/Parquet with labels or ratings), `CAUSA_RATING_COL` (to derive sentiment from
# star ratings) and `CAUSA_REGISTRY` (the model registry folder). By default: the bundled sample's store reviews,
# trained from their 1-5 star ratings, into `./lake/models`.

# %%
import os
from pathlib import Path

import pandas as pd

from causa.storage.promotion import PromotionRefused, compare, headline, promote
from causa.pipelines.settings import sample_root
from causa.nlp.training import TrainingOptions, rows_from_frame
from causa.storage.training_runs import train_version
from causa.storage.registry import ModelRegistry

labels = os.environ.get("CAUSA_LABELS")
rating_col = os.environ.get("CAUSA_RATING_COL", "rating" if labels is None else "") or None
registry = ModelRegistry(Path(os.environ.get("CAUSA_REGISTRY", "lake/models")))
if labels is None:
    frame = pd.concat(pd.read_csv(path) for path in sorted((sample_root() / "store_reviews").glob("*.csv")))
else:
    frame = pd.read_csv(labels) if labels.endswith(".csv") else pd.read_json(labels, lines=True)
frame.head()

# %% [markdown]
# ## Train and register a version
#
# `base="starter"` adds the starter corpus to the training rows at full weight, so the four default causes and
# all five languages stay covered (ratings carry no causes); `base="auto"` (the CLI default) uses it for causes and
# for sentiment only where this file is small; `base="none"` trains on this file alone.

# %%
# `base_per_language` samples the starter corpus to keep this example quick; leave it out (None) for real use.
options = TrainingOptions(from_ratings=rating_col, base="starter",
                          base_per_language=int(os.environ.get("CAUSA_BASE_PER_LANGUAGE", "0")) or None)
rows = rows_from_frame(frame, options, "notebook labels")
result = train_version(rows, registry, None, options, {"name": labels or "bundled sample store reviews"})
print(result.version, result.counts)
print((result.path / "README.md").read_text())

# %% [markdown]
# ## Compare with the model the nightly run uses now

# %%
comparison = compare(registry, result.version)
pd.DataFrame({"candidate": comparison.candidate_scores, comparison.current: comparison.current_scores,
              "delta": comparison.deltas})

# %% [markdown]
# ## Promote, unless it is worse (the gate refuses and says by how much)

# %%
try:
    promote(registry, result.version)
    print("promoted", registry.promoted())
except PromotionRefused as refused:
    print(refused)
print("promoted now:", registry.promoted() or "none (the shipped default model)")
