"""Generated mixed-language feedback texts for throughput and scale benchmarks (not for accuracy)."""

from __future__ import annotations

import random

FRAGMENTS = {
    "en": [
        "my order arrived two weeks late", "the agent was rude to me", "they charged me twice",
        "nobody answers the support line", "great service, thank you", "what time do you open on sunday",
        "still waiting for my refund", "the app keeps crashing", "love the new menu", "flight delayed again",
        "hidden fees on my bill", "staff were friendly and quick", "been on hold for an hour",
    ],
    "pt": [
        "meu pedido chegou atrasado", "o atendente foi grosseiro", "cobraram duas vezes no cartão",
        "ninguém responde o chat", "produto excelente, recomendo", "qual o horário de funcionamento",
        "ainda esperando o reembolso", "entrega super rápida", "o aplicativo não funciona",
    ],
    "es": [
        "el pedido llegó tarde", "la cajera fue muy maleducada", "me cobraron de más",
        "nadie me da una solución", "muy buena atención, gracias", "a qué hora abren mañana",
        "llevo una hora esperando", "el producto vino roto", "el vuelo salió con retraso",
    ],
    "ro": [
        "comanda a ajuns cu intarziere", "operatorul a fost nepoliticos", "mi-au luat bani de doua ori",
        "nimeni nu raspunde la telefon", "produs foarte bun, multumesc", "la ce ora deschideti",
        "astept de o luna rambursarea", "livrare rapida, recomand", "telefonul s-a stricat dupa o saptamana",
    ],
    "ru": [
        "заказ пришёл с опозданием", "оператор нагрубил мне", "списали деньги дважды",
        "никто не отвечает в поддержке", "отличный сервис, спасибо", "во сколько вы открываетесь",
        "жду возврат уже месяц", "доставка была быстрой", "приложение постоянно вылетает",
    ],
}
EXTRAS = ["!", "!!!", " :(", " :)", " 😡", " 👍", ".", "?", " @support", " #fail", " https://t.co/x1y2z3"]


def generate_texts(count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """`count` texts of one to three fragments each, in an even mix of the five languages, with their languages."""
    rng = random.Random(seed)
    languages = list(FRAGMENTS)
    texts, langs = [], []
    for index in range(count):
        lang = languages[index % len(languages)]
        parts = rng.sample(FRAGMENTS[lang], rng.randint(1, 3))
        text = ", ".join(parts)
        texts.append(text[0].upper() + text[1:] + rng.choice(EXTRAS))
        langs.append(lang)
    return texts, langs
