# %% [markdown]
# # Causes and sentiment over time, by channel and language
#
# Reads the lake's Parquet tables with DuckDB (the way any report consumer can) and plots them.
# Set `CAUSA_LAKE` to your lake folder; by default `./lake`.

# %%
import os
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

lake = Path(os.environ.get("CAUSA_LAKE", "lake"))
con = duckdb.connect()
feedback = f"read_parquet('{lake}/feedback/**/*.parquet', hive_partitioning = true)"
scored = f"read_parquet('{lake}/scored/**/*.parquet', hive_partitioning = true)"

# %% [markdown]
# ## Sentiment per week and channel

# %%
sentiment = con.execute(f"""
    select date_trunc('week', f.created_date) as week, f.channel, s.sentiment, count(*) as n
    from {feedback} f join {scored} s using (feedback_id)
    group by all order by week, f.channel, s.sentiment
""").df()
pivot = sentiment.pivot_table(index="week", columns=["channel", "sentiment"], values="n", fill_value=0)
axes = pivot.plot(figsize=(10, 4), title="feedback per week by channel and sentiment")
axes.set_ylabel("items")
sentiment.tail()

# %% [markdown]
# ## Causes per week and language (complaints only)

# %%
causes = con.execute(f"""
    select date_trunc('week', f.created_date) as week, f.language, cause, count(*) as n
    from {feedback} f join (select feedback_id, unnest(causes) as cause from {scored}) c using (feedback_id)
    group by all order by week, f.language, cause
""").df()
figure, axes = plt.subplots(1, max(1, causes["language"].nunique()), figsize=(14, 3.5), sharey=True, squeeze=False)
for axis, (language, part) in zip(axes[0], causes.groupby("language")):
    part.pivot_table(index="week", columns="cause", values="n", fill_value=0).plot(ax=axis, title=language)
figure.tight_layout()
causes.groupby("cause")["n"].sum().sort_values(ascending=False)

# %% [markdown]
# ## Share of negative feedback by channel and language

# %%
con.execute(f"""
    select f.channel, f.language, count(*) as n,
           round(avg(case when s.sentiment = 'negative' then 1 else 0 end), 3) as negative_share
    from {feedback} f join {scored} s using (feedback_id)
    group by all order by f.channel, f.language
""").df()
