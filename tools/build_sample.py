"""Builds the bundled sample (pipelines/sample/): 90 days of feedback to Lumora, an online shop of small home
appliances, in en, pt, es, ro and ru, from four sources: store reviews (CSV), social comments (JSONL), post-contact
surveys (CSV) and support tickets (SQLite).

Deterministic: the same phrases (tools/sample_phrases.py) and seed give the same files byte for byte. The story:
the Lumora Plus monthly fee goes up on PRICE_CHANGE_DAY, after which overcharge complaints rise; a courier outage in
INCIDENT_DAYS brings a spike of delay complaints on social media; the surveys start on SURVEYS_START. A few items
hold fake personal data (to be redacted), a few are malformed (to be quarantined), a few are posted twice.

    python tools/build_sample.py                          # rewrite pipelines/sample/
    python tools/build_sample.py --labels intended.jsonl  # also write each item's intended sentiment and causes
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_phrases import ALSO, PHONES, PHRASES, PLUS_FEE, PRICE_CHANGE, PRODUCTS  # noqa: E402

logger = logging.getLogger("build_sample")

SAMPLE = Path(__file__).resolve().parents[1] / "pipelines" / "sample"
SEED = 20261115
LANGUAGES = ("en", "pt", "es", "ro", "ru")
FIRST_DAY = date(2026, 8, 18)
LAST_DAY = date(2026, 11, 15)
PRICE_CHANGE_DAY = date(2026, 10, 1)
SURVEYS_START = date(2026, 9, 1)
INCIDENT_DAYS = (date(2026, 10, 27), date(2026, 10, 28), date(2026, 10, 29), date(2026, 10, 30))
INCIDENT_ITEMS = 10
"""Extra delay complaints on social per language during the incident."""
PER_LANGUAGE = {"review": 110, "social": 110, "survey": 80, "ticket": 80}
BAD_DATE = "2026-13-41T25:00:00Z"

KIND_NAMES = ("praise", "neutral", "quality", "delay", "unresolved_issue", "rudeness", "overcharge", "two causes")
WEIGHTS = {
    "review": (0.36, 0.10, 0.07, 0.13, 0.10, 0.06, 0.06, 0.12),
    "social": (0.27, 0.18, 0.04, 0.15, 0.12, 0.08, 0.05, 0.11),
    "survey": (0.42, 0.10, 0.04, 0.12, 0.12, 0.07, 0.05, 0.08),
    "ticket": (0.05, 0.28, 0.06, 0.18, 0.17, 0.06, 0.08, 0.12),
}
"""Each channel's share of each kind of item (KIND_NAMES) before the price change."""
PRICE_CHANGE_SHIFT = 0.10
"""Weight moved from praise to overcharge after the price change."""
PAIRS = (("delay", "unresolved_issue"), ("rudeness", "unresolved_issue"), ("overcharge", "unresolved_issue"),
         ("delay", "rudeness"), ("overcharge", "delay"))
NAMES = ("ana", "joao", "maria", "alex", "sam", "dana", "ion", "elena", "oleg", "irina", "pablo", "lucia", "mike",
         "kate", "rita", "tiago", "sofia", "andrei", "olga", "nick", "bea", "luis", "vlad", "ioana", "marta", "ken")
PLATFORMS = ("twitter", "instagram", "facebook", "reddit")
STORES = ("web_shop", "app_store", "google_play")


@dataclass
class Item:
    """One generated piece of feedback with what it was written to say."""

    language: str
    channel: str
    at: datetime
    text: str
    kind: str
    causes: tuple[str, ...]
    author: str
    product: str
    fields: dict = field(default_factory=dict)

    @property
    def sentiment(self) -> str:
        return {"praise": "positive", "neutral": "neutral"}.get(self.kind, "negative")


class Writer:
    """Texts of one language from its phrase lists, with slots filled and parts chosen by a seeded generator."""

    def __init__(self, language: str, rng: random.Random) -> None:
        self.language = language
        self.phrases = PHRASES[language]
        self.rng = rng

    def fill(self, phrase: str, product: str) -> str:
        old, new = PLUS_FEE[self.language]
        rng = self.rng
        return phrase.format(product=product, order=f"LU-{rng.randint(100000, 999999)}", days=rng.choice((2, 3, 4)),
                             hours=rng.choice((2, 3)), weeks=rng.choice((2, 3, 4)), n=rng.choice((3, 4)),
                             old=old, new=new)

    def core(self, kind: str, day: date, product: str) -> tuple[str, tuple[str, ...]]:
        """A core phrase of `kind` with its slots filled, and the other causes it also says."""
        choices = [n for n, p in enumerate(self.phrases[kind]) if day >= PRICE_CHANGE_DAY or not p.startswith(PRICE_CHANGE)]
        if kind == "overcharge" and day >= PRICE_CHANGE_DAY and self.rng.random() < 0.6:
            choices = [n for n in choices if self.phrases[kind][n].startswith(PRICE_CHANGE)]
        chosen = self.rng.choice(choices)
        return self.fill(self.phrases[kind][chosen].removeprefix(PRICE_CHANGE), product), ALSO.get((kind, chosen), ())

    def text(self, kind: str, causes: tuple[str, ...], channel: str, day: date, product: str) -> tuple[str, tuple[str, ...]]:
        """The item's text and its causes (the planned ones and those its phrases also say)."""
        rng, phrases = self.rng, self.phrases
        if kind == "incident":
            parts = [self.fill(rng.choice(phrases["incident"]), product)]
        elif kind == "praise":
            parts = [self.core("praise", day, product)[0]]
            if rng.random() < 0.3:
                parts.append(self.core("praise", day, rng.choice(PRODUCTS))[0])
        elif kind in ("neutral", "quality"):
            parts = [self.core(kind, day, product)[0]]
        else:
            cores = [self.core(cause, day, product) for cause in causes]
            parts = [text for text, _ in cores]
            causes = tuple(sorted({*causes, *(also for _, extra in cores for also in extra)}))
        negative = kind not in ("praise", "neutral")
        if channel == "ticket":
            body = " ".join(parts)
            close = "\n" + rng.choice(phrases["ticket_close"]) if rng.random() < 0.7 else ""
            return f"{rng.choice(phrases['ticket_open'])}\n{body}{close}", causes
        if negative and rng.random() < 0.4:
            parts.insert(0, rng.choice(phrases["open_negative"]))
        if negative and rng.random() < 0.45:
            parts.append(rng.choice(phrases["close_negative"]))
        if kind == "praise" and rng.random() < 0.35:
            parts.insert(0, rng.choice(phrases["open_positive"]))
        if kind == "praise" and rng.random() < 0.5:
            parts.append(rng.choice(phrases["close_positive"]))
        text = " ".join(parts)
        if channel == "social" and rng.random() < 0.5:
            text = "@Lumora " + text
        return text, causes


def moment(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(7 * 3600, 86399))


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def pick_kind(rng: random.Random, channel: str, day: date) -> tuple[str, tuple[str, ...]]:
    """The kind of an item (praise, neutral, quality or complaint) and the causes it is written to say."""
    weights = dict(zip(KIND_NAMES, WEIGHTS[channel]))
    if day >= PRICE_CHANGE_DAY:
        weights["praise"] -= PRICE_CHANGE_SHIFT
        weights["overcharge"] += PRICE_CHANGE_SHIFT
    kind = rng.choices(KIND_NAMES, list(weights.values()))[0]
    if kind == "two causes":
        return "complaint", rng.choice(PAIRS)
    if kind in ("praise", "neutral", "quality"):
        return kind, ()
    return "complaint", (kind,)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def author_name(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)}{rng.choice(('_', '.', ''))}{rng.randint(1, 999)}"


def generate(language: str, rng: random.Random) -> list[Item]:
    """Every item of one language, in no particular order."""
    writer = Writer(language, rng)
    items = []
    for channel, count in PER_LANGUAGE.items():
        days = days_between(SURVEYS_START if channel == "survey" else FIRST_DAY, LAST_DAY)
        planned = [(rng.choice(days), None) for _ in range(count)]
        if channel == "social":
            planned += [(INCIDENT_DAYS[n % len(INCIDENT_DAYS)], "incident") for n in range(INCIDENT_ITEMS)]
        for day, special in planned:
            kind, causes = ("complaint", ("delay",)) if special else pick_kind(rng, channel, day)
            product = rng.choice(PRODUCTS)
            text, causes = writer.text(special or kind, causes, channel, day, product)
            items.append(Item(language, channel, moment(rng, day), text, kind, causes, author_name(rng), product))
    for item in rng.sample([i for i in items if i.kind == "complaint"], 3):
        contact = rng.choice(PHRASES[language]["contact"])
        item.text += " " + contact.format(email=f"{item.author.replace('_', '.')}@example.com", phone=PHONES[language])
    if language == "en":  # the card number the tests look for, in a review
        review = next(i for i in items if i.channel == "review" and i.kind == "complaint" and "@" not in i.text)
        review.text += " " + PHRASES["en"]["contact"][2]
    return items


def scores(rng: random.Random, item: Item) -> dict:
    """A survey answer consistent with the comment: promoters praise, detractors complain."""
    if item.kind == "praise":
        return {"nps": rng.choice((8, 9, 9, 10, 10)), "csat": rng.choice((4, 5, 5)), "ces": rng.choice((1, 2, 2, 3))}
    if item.kind == "neutral":
        return {"nps": rng.choice((6, 7, 7, 8)), "csat": rng.choice((3, 4)), "ces": rng.choice((2, 3, 4))}
    return {"nps": rng.choice((0, 1, 2, 3, 4, 5, 6)), "csat": rng.choice((1, 1, 2, 2, 3)), "ces": rng.choice((4, 5, 6, 7))}


def rating(rng: random.Random, item: Item) -> int:
    if item.kind == "praise":
        return rng.choice((4, 5, 5))
    if item.kind == "neutral":
        return rng.choice((3, 4))
    return rng.choice((1, 1, 2, 2, 3))


def reply_time(rng: random.Random, item: Item) -> str | None:
    """When the company first replied (None: never); slower during the incident."""
    if rng.random() < 0.12:
        return None
    hours = rng.uniform(0.3, 30.0) * (3 if item.at.date() in INCIDENT_DAYS else 1)
    return stamp(item.at + timedelta(hours=hours))


def spoil(rng: random.Random, rows: list[dict], text_key: str, date_key: str, how: str, keep_first: int = 20) -> None:
    """Make one row (after the first `keep_first`) malformed: empty text or an impossible date."""
    row = rng.choice(rows[keep_first:])
    if how == "empty":
        row[text_key] = ""
    else:
        row[date_key] = BAD_DATE


def repeat(rng: random.Random, rows: list[dict], id_key: str, date_key: str, make_id) -> None:
    """Post one row's text again a few minutes later under a new id (a double submission)."""
    original = rng.choice(rows[5:-5])
    again = dict(original)
    again[id_key] = make_id(len(rows) + 1)
    again[date_key] = stamp(datetime.strptime(original[date_key], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                            + timedelta(minutes=rng.randint(1, 9)))
    rows.append(again)


def review_rows(rng: random.Random, language: str, items: list[Item]) -> list[dict]:
    return [{"review_id": f"{language}-r{n:04d}", "created_at": stamp(i.at), "rating": rating(rng, i), "text": i.text,
             "author": i.author, "product": i.product, "store": rng.choice(STORES)} for n, i in enumerate(items, 1)]


def social_rows(rng: random.Random, language: str, items: list[Item]) -> list[dict]:
    rows = []
    for n, item in enumerate(items, 1):
        row = {"id": f"{language}-s{n:04d}", "posted_at": stamp(item.at), "body": item.text,
               "handle": "@" + item.author, "platform": rng.choice(PLATFORMS)}
        replied = reply_time(rng, item)
        if replied:
            row["responded_at"] = replied
        rows.append(row)
    return rows


def survey_rows(rng: random.Random, language: str, items: list[Item]) -> list[dict]:
    return [{"response_id": f"{language}-v{n:04d}", "answered_at": stamp(i.at), **scores(rng, i), "comment": i.text,
             "contact_channel": rng.choice(("phone", "chat", "email"))} for n, i in enumerate(items, 1)]


def ticket_rows(rng: random.Random, language: str, items: list[Item]) -> list[dict]:
    return [{"ticket_id": f"{language}-t{n:04d}", "opened_at": stamp(i.at), "customer": i.author, "language": language,
             "product": i.product, "body": i.text, "responded_at": reply_time(rng, i)} for n, i in enumerate(items, 1)]


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def write_tickets(path: Path, rows: list[dict]) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("create table tickets (ticket_id text primary key, opened_at text not null, customer text, "
                   "language text, product text, body text, responded_at text)")
        db.executemany("insert into tickets values (:ticket_id, :opened_at, :customer, :language, :product, :body, "
                       ":responded_at)", rows)
    db.close()


def build(root: Path, labels: Path | None = None) -> dict[str, int]:
    """Writes the sample under `root`; returns the rows written per source."""
    rng = random.Random(SEED)
    counts = {"store_reviews": 0, "social": 0, "surveys": 0, "support_tickets": 0}
    intended: list[dict] = []
    tickets: list[dict] = []
    for folder in ("store_reviews", "social", "surveys", "support"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        items = sorted(generate(language, rng), key=lambda i: (i.at, i.channel))
        by_channel = {channel: [i for i in items if i.channel == channel] for channel in PER_LANGUAGE}
        intended += [{"id": f"{language}-{n}", "language": language, "channel": i.channel, "text": i.text,
                      "sentiment": i.sentiment, "causes": list(i.causes)} for n, i in enumerate(items)]
        reviews = review_rows(rng, language, by_channel["review"])
        social = social_rows(rng, language, by_channel["social"])
        surveys = survey_rows(rng, language, by_channel["survey"])
        language_tickets = ticket_rows(rng, language, by_channel["ticket"])
        spoil(rng, reviews, "text", "created_at", "empty" if language in ("en", "pt", "ro") else "date")
        if language in ("en", "ru"):
            spoil(rng, reviews, "text", "created_at", "date")
        if language == "es":  # ratings stay in 1..5: the retraining notebook learns from the raw files
            spoil(rng, reviews, "text", "created_at", "empty")
        if language == "pt":
            spoil(rng, social, "body", "posted_at", "empty")
        if language == "ro":
            rng.choice(surveys[20:])["nps"] = 11
        if language == "ru":
            rng.choice(language_tickets[20:])["body"] = None
        if language in ("en", "es", "ru"):
            repeat(rng, social, "id", "posted_at", lambda n, language=language: f"{language}-s{n:04d}")
        if language == "pt":
            repeat(rng, reviews, "review_id", "created_at", lambda n: f"pt-r{n:04d}")
        write_csv(root / "store_reviews" / f"reviews_{language}.csv", reviews)
        write_jsonl(root / "social" / f"comments_{language}.jsonl", social)
        write_csv(root / "surveys" / f"answers_{language}.csv", surveys)
        tickets += language_tickets
        counts["store_reviews"] += len(reviews)
        counts["social"] += len(social)
        counts["surveys"] += len(surveys)
        counts["support_tickets"] += len(language_tickets)
    write_tickets(root / "support" / "tickets.sqlite", sorted(tickets, key=lambda row: (row["opened_at"],
                                                                                       row["ticket_id"])))
    if labels is not None:
        write_jsonl(labels, intended)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=SAMPLE, help="folder to write (default: pipelines/sample)")
    parser.add_argument("--labels", type=Path, help="also write each item's intended sentiment and causes (JSONL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counts = build(args.root, args.labels)
    logger.info("wrote %s to %s (%d rows)", counts, args.root, sum(counts.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
