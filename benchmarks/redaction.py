"""Throughput of PII redaction (causa.nlp.redact.redact_many) on generated feedback in five languages.

Usage: python benchmarks/redaction.py [--docs 100000] [--pii-share 0.05] [--repeats 3] [--seed 7]

Most generated texts are plain complaints or praise; about a third of those carry harmless numbers
(prices, dates, order numbers, durations), and --pii-share of all texts carry an email, a phone
number, a card, an IBAN or a URL with a token. Target: >= 60,000 docs/s for redact_many.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from causa.nlp.redact import redact_many  # noqa: E402

TARGET_DOCS_PER_SECOND = 60_000

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--pii-share", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

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
