"""Recall, false positives and throughput of PII redaction (causa.nlp.redact.redact_many) in five languages.

Usage: python benchmarks/redaction.py [--docs 100000] [--pii-share 0.05] [--repeats 3] [--seed 7]
                                      [--cases benchmarks/redaction_pii.jsonl] [--data-dir ../shared/data]
                                      [--show KIND]

Recall: on the labelled synthetic cases in redaction_pii.jsonl (national ids, credentials, spelled-out
emails and the older kinds, at least 40 per language), the share whose personal data is gone from the
output ("removed") and the share that also got the expected placeholder ("typed"). The file's hard
negatives (order ids, prices, dates, flight numbers, credential words without a credential) give the
false-positive rate on synthetic text, and its identity numbers with a wrong check digit must not be
typed as national ids.

False positives on real text: the texts of the bundled sample (pipelines/sample/, which holds a few
deliberate emails, phones and cards) and of the shared data sets, counted by kind of redaction; --show
KIND prints those texts to judge by eye.

Throughput: most generated texts are plain complaints or praise; about a third of those carry harmless
numbers (prices, dates, order numbers, durations), and --pii-share of all texts carry an email, a phone
number, a card, an IBAN or a URL with a token. Target: >= 60,000 docs/s for redact_many.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from causa.nlp.redact import RedactedText, redact_many  # noqa: E402

from benchmarks.datasets import data_dir  # noqa: E402

logger = logging.getLogger(__name__)

TARGET_DOCS_PER_SECOND = 60_000
CASES = Path(__file__).with_name("redaction_pii.jsonl")
SAMPLE = Path(__file__).resolve().parents[1] / "pipelines" / "sample"
NEGATIVE, INVALID_ID = "none", "invalid_id"
NATIONAL_ID_PLACEHOLDER = "[NATIONAL_ID]"

PLAIN = {
    "en": [
        "The delivery was late again and nobody from support answered my messages.",
        "Great service, the agent solved my problem quickly. Thank you!",
        "They charged me twice for the same order and refused to refund.",
        "Rude staff at the counter, I will not come back.",
    ],
    "pt": [
        "A entrega atrasou de novo e ninguém do suporte respondeu.",
        "Atendimento excelente, resolveram tudo rapidinho, obrigado!",
        "Cobraram duas vezes no cartão e não devolvem o dinheiro.",
        "Atendente muito grosseiro, nunca mais compro aqui.",
    ],
    "es": [
        "El pedido llegó tarde y nadie del soporte contestó.",
        "Muy buena atención, resolvieron mi problema enseguida.",
        "Me cobraron de más y no quieren devolver el dinero.",
        "El personal fue muy maleducado conmigo.",
    ],
    "ro": [
        "Comanda a întârziat din nou și nimeni nu a răspuns.",
        "Servicii excelente, au rezolvat problema repede, mulțumesc!",
        "Mi-au luat banii de două ori și nu vor să îi returneze.",
        "Personal nepoliticos, nu mai revin.",
    ],
    "ru": [
        "Доставка опять задержалась, поддержка не отвечает.",
        "Отличный сервис, всё решили быстро, спасибо!",
        "Списали деньги дважды и отказываются возвращать.",
        "Грубый персонал, больше не приду.",
    ],
}

HARMLESS_NUMBERS = [
    "Waited {n} days for order #{order}.",
    "Paguei R$ {n}.234,56 no pedido {order}.",
    "Entregaron el {d}/10/2026 a las 18:30.",
    "Comanda nr. {order} a ajuns după {n} zile.",
    "Заказ № {order} на 1 500 руб. доставили {d}.10.2026.",
    "Flight UA {n}{n}{n}{n} delayed {n} hours, 95% of seats empty.",
]

PII = [
    "Call me at +1 (555) 123-{four} or write to jane.doe{n}@example.com.",
    "Meu celular é (11) 9{four}-5678, me liga.",
    "Llámame al +34 612 34 {n}{n} 78 por favor.",
    "Sunați-mă la 0721 234 {n}{n}{n}.",
    "Позвоните мне: +7 (912) 345-67-{n}{n}.",
    "Charged card 4111 1111 1111 1111 twice.",
    "Refund to IBAN DE89 3704 0044 0532 0130 00 please.",
    "Reset link https://shop.example.com/reset?token=ab{four}cd&lang=en did not work.",
]


def generate(docs: int, pii_share: float, seed: int) -> list[str]:
    """docs feedback texts, a pii_share of them with PII, the rest plain or with harmless numbers."""
    rng = random.Random(seed)
    languages = list(PLAIN)
    texts = []
    for _ in range(docs):
        fields = {
            "n": rng.randint(1, 9),
            "d": rng.randint(1, 28),
            "order": rng.randint(10_000_000, 999_999_999),
            "four": rng.randint(1000, 9999),
        }
        base = rng.choice(PLAIN[rng.choice(languages)])
        roll = rng.random()
        if roll < pii_share:
            texts.append(f"{base} {rng.choice(PII).format(**fields)}")
        elif roll < pii_share + (1 - pii_share) / 3:
            texts.append(f"{base} {rng.choice(HARMLESS_NUMBERS).format(**fields)}")
        else:
            texts.append(base)
    return texts


def measure(texts: list[str], repeats: int) -> float:
    """Median docs/s of redact_many over texts."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        redact_many(texts)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def read_cases(path: Path) -> list[dict]:
    """The labelled cases: language, kind, text, pii (the strings that must go) and the expected placeholder."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def print_recall(cases: list[dict]) -> None:
    """Recall per language on the PII cases, false positives on the hard negatives, invalid ids kept untyped."""
    results = redact_many([case["text"] for case in cases])
    per_language: dict[str, Counter] = {}
    for case, result in zip(cases, results):
        counts = per_language.setdefault(case["language"], Counter())
        if case["kind"] == NEGATIVE:
            counts["negatives"] += 1
            counts["false_positives"] += bool(result.redactions)
        elif case["kind"] == INVALID_ID:
            counts["invalid_ids"] += 1
            counts["invalid_typed"] += NATIONAL_ID_PLACEHOLDER in result.text
        else:
            counts["cases"] += 1
            removed = not any(pii in result.text for pii in case["pii"])
            counts["removed"] += removed
            counts["typed"] += removed and case["placeholder"] in result.text
            if not removed or case["placeholder"] not in result.text:
                logger.info("missed %s (%s): %r -> %r", case["kind"], case["language"], case["text"], result.text)
    total: Counter = sum(per_language.values(), Counter())
    print(f"labelled cases ({CASES.name}): recall removed / typed, false positives on hard negatives, "
          "invalid check digits typed as national id")
    for language, counts in [*sorted(per_language.items()), ("all", total)]:
        print(f"  {language:>3}: {counts['cases']:>3} cases  removed {counts['removed'] / counts['cases']:6.1%}  "
              f"typed {counts['typed'] / counts['cases']:6.1%}  |  false positives "
              f"{counts['false_positives']}/{counts['negatives']}  |  invalid ids typed "
              f"{counts['invalid_typed']}/{counts['invalid_ids']}")


def sample_texts() -> Iterator[str]:
    """The texts of the bundled sample sources."""
    for path in sorted((SAMPLE / "social").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            yield from (json.loads(line)["body"] for line in lines if line.strip())
    for path in sorted((SAMPLE / "store_reviews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as rows:
            yield from (row["text"] for row in csv.DictReader(rows))


def shared_texts(folder: Path) -> dict[str, list[str]]:
    """Every text of the shared data sets, by set (read only)."""
    import pandas as pd

    def column(relative: str, name: str) -> list[str]:
        path = folder / relative
        if not path.is_file():
            return []
        frame = pd.read_json(path, lines=True, dtype=False) if path.suffix == ".jsonl" else pd.read_csv(path)
        return frame[name].dropna().astype(str).tolist()

    sets = {
        "airline_en": column("airline_en/tweets.csv", "text"),
        "cfpb_en": column("clean/cfpb/complaints.csv", "narrative"),
        "banking77_en": column("clean/banking77_train.csv", "text"),
        "b2w_pt": column("b2w_pt/polarity.csv", "text"),
        "laroseda_ro": column("laroseda_ro/train.jsonl", "content"),
        "sart_ro": [text for part in ("train", "val", "test") for text in column(f"clean/sart_ro/{part}.csv", "text")],
        "sentirueval_ru": column("sentirueval_ru/banks.csv", "text"),
    }
    return {name: texts for name, texts in sets.items() if texts}


def print_real_text_hits(name: str, texts: list[str], show: str | None) -> None:
    """How many texts of a real corpus had something redacted, by kind; --show prints the texts of one kind."""
    results: list[RedactedText] = redact_many(texts)
    kinds = Counter(kind for result in results for kind in result.kinds)
    redacted = sum(1 for result in results if result.redactions)
    by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "-"
    print(f"  {name:<15} {len(texts):>7,} texts, {redacted:>5,} redacted ({redacted / len(texts):.2%}): {by_kind}")
    for text, result in zip(texts, results):
        if show and show in result.kinds:
            print(f"    {text!r}\n    -> {result.text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--pii-share", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--data-dir", type=Path, default=None, help="the shared data sets (default ../shared/data)")
    parser.add_argument("--show", default=None, help="print the real texts where this kind was redacted")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.show else logging.WARNING, format="%(message)s")

    print_recall(read_cases(args.cases))
    print("redactions in real text (the sample holds a few deliberate emails, phones and cards):")
    print_real_text_hits("sample", list(sample_texts()), args.show)
    folder = data_dir(args.data_dir)
    if folder is None:
        print("  shared data sets not found: skipped")
    else:
        for name, texts in shared_texts(folder).items():
            print_real_text_hits(name, texts, args.show)

    texts = generate(args.docs, args.pii_share, args.seed)
    results = redact_many(texts)
    with_pii = [text for text, result in zip(texts, results) if result.redactions]
    without_pii = [text for text, result in zip(texts, results) if not result.redactions]

    overall = measure(texts, args.repeats)
    clean = measure(without_pii, args.repeats)
    dirty = measure(with_pii, args.repeats) if with_pii else float("nan")

    print(f"texts: {len(texts):,} ({len(with_pii):,} with PII found, {len(with_pii) / len(texts):.1%})")
    print(f"redact_many overall:      {overall:>12,.0f} docs/s (target >= {TARGET_DOCS_PER_SECOND:,})")
    print(f"  texts without PII:      {clean:>12,.0f} docs/s")
    print(f"  texts with PII:         {dirty:>12,.0f} docs/s")
    print("PASS" if overall >= TARGET_DOCS_PER_SECOND else "BELOW TARGET")


if __name__ == "__main__":
    main()
