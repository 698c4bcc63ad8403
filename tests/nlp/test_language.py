"""Language identification: the five supported languages, "other", fallbacks and real data."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from causa.nlp.language import OTHER_LANGUAGE, SUPPORTED_LANGUAGES, LanguageDetector

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

EXAMPLES: dict[str, list[str]] = {
    "en": [
        "The package arrived two weeks late and nobody answered my emails.",
        "@airline_help thanks for nothing, 3 hours on hold and still no refund",
        "Great service, the staff were really friendly and helpful!",
        "worst app ever, it keeps crashing when i try to pay 😡😡",
        "why did you charge me twice??? fix it pls",
        "Flight delayed again. This is the third time this month #neveragain",
        "im so done with this company lol",
        "They told me it would be fixed by Friday, it's Monday and nothing.",
        "Love the new menu, will definitely come back",
        "cant log in since the update, any idea whats going on?",
    ],
    "pt": [
        "O produto chegou antes do prazo, muito bem embalado. Recomendo!",
        "Péssimo atendimento, ninguém resolve o meu problema.",
        "nao recebi o pedido ate agora e ja se passaram 20 dias",
        "Comprei dois e veio só um, estou esperando resposta da loja",
        "vcs são uma piada, cobraram duas vezes no meu cartão",
        "Gostei muito, a qualidade é ótima e o preço foi justo.",
        "o entregador foi super grosso comigo, nunca mais compro aqui",
        "Fiquei muito satisfeita com a compra, obrigada!",
        "produto veio quebrado e o suporte nao responde",
        "A operadora cortou a minha internet sem aviso, que vergonha",
    ],
    "es": [
        "El pedido llegó tarde y la caja estaba rota.",
        "Pésimo servicio, nadie me responde desde hace una semana.",
        "¿Alguien sabe por qué no funciona la app hoy?",
        "no me llego el paquete y ya pasaron 10 dias",
        "q mal servicio, nunca mas compro aca",
        "Me cobraron dos veces la misma compra y no me devuelven el dinero",
        "Todo perfecto, el envío rápido y bien empaquetado",
        "La camarera fue muy grosera con mi madre",
        "jajaja que desastre de empresa, ni contestan los correos",
        "después de tres semanas sigo sin internet en casa",
        "Estoy muy contento con la compra, todo llegó en perfecto estado",
        "@soporte llevo dos horas esperando y nadie me dice nada #indignado",
    ],
    "ro": [
        "nu am primit comanda, foarte dezamagit",
        "Produsul a ajuns la timp, sunt foarte mulțumită de calitate.",
        "Am sunat de trei ori la serviciul clienți și nimeni nu m-a ajutat.",
        "curierul a intarziat doua zile si nici nu a sunat",
        "Nu recomand, s-a stricat dupa o saptamana",
        "mi-au luat banii de doua ori si nu vor sa mi-i dea inapoi",
        "Super produs, pret bun, livrare rapida. Multumesc!",
        "angajatul de la ghiseu a fost foarte nepoliticos cu mine",
        "Este exact ce căutam, îl recomand cu încredere.",
        "de o luna astept rambursarea, e o bataie de joc",
    ],
    "ru": [
        "Заказ пришёл с опозданием на неделю, очень недоволен.",
        "Спасибо за быструю доставку, всё отлично!",
        "в банке мне нагрубили и так и не решили проблему",
        "@support почему с меня списали деньги дважды???",
        "Ужасный сервис, больше никогда не буду у вас заказывать",
        "оператор бросил трубку, это вообще нормально?",
        "норм, но доставка долгая",
        "Курьер опоздал на три часа и даже не извинился",
        "Приложение постоянно вылетает после обновления 😡",
        "Всё понравилось, рекомендую!",
    ],
}

OTHER_EXAMPLES: list[str] = [
    "Le colis est arrivé en retard et le service client ne répond jamais.",  # fr
    "Je suis très déçu, le produit ne fonctionne pas du tout",  # fr
    "Die Lieferung kam viel zu spät und die Verpackung war kaputt.",  # de
    "Ich bin sehr zufrieden mit dem Produkt, danke!",  # de
    "Il pacco non è mai arrivato e nessuno mi risponde.",  # it
    "non mi è piaciuto per niente, una delusione",  # it
    "De bezorging was te laat en niemand neemt de telefoon op",  # nl
    "El paquet no ha arribat encara i ningú em respon",  # ca
    "Estou moi contento coa compra, grazas por todo",  # gl
    "Przesyłka przyszła uszkodzona, nie polecam tego sklepu",  # pl
    "Sipariş çok geç geldi ve kimse yardımcı olmadı",  # tr
    "Siparişim geç geldi ve kimse cevap vermiyor",  # tr
    "Narudžba je stigla kasno i nitko ne odgovara",  # hr
    "Objednávka dorazila pozdě a nikdo neodpovídá",  # cs
    "Rendelésem későn érkezett és senki nem válaszol",  # hu
    "Bestillingen kom for sent og ingen svarer",  # da
    "Porosia erdhi vonë dhe askush nuk përgjigjet",  # sq
    "Hindi dumating ang order ko at walang sumasagot",  # tl
    "Замовлення прийшло із запізненням, дуже незадоволений",  # uk
    "Дякую за швидку доставку, все чудово",  # uk
    "Поръчката пристигна със закъснение и никой не отговаря",  # bg
    "Много съм доволен от продукта, благодаря",  # bg
    "Поруџбина је стигла касно и нико не одговара",  # sr
    "Заказ прыйшоў са спазненнем, ніхто не адказвае",  # be
    "Тапсырыс кеш келді, қызмет көрсету нашар",  # kk
    "这个产品质量很差，客服也不回复",  # zh
    "配送が遅れて、サポートの対応も最悪でした",  # ja
    "배송이 너무 늦고 고객센터는 전화를 안 받아요",  # ko
    "الطلب وصل متأخر وخدمة العملاء سيئة جدا",  # ar
    "Η παραγγελία ήρθε αργά και η εξυπηρέτηση ήταν απαράδεκτη",  # el
    "Đơn hàng giao rất chậm và nhân viên không hỗ trợ",  # vi
]
#: Spanish has no real data set here: these reviews and tweets, written for this test, stand in.
SPANISH: list[str] = [
    "El pedido llegó tarde y la caja estaba rota.",
    "Pésimo servicio, nadie me responde desde hace una semana.",
    "Muy buena calidad, lo recomiendo a todos.",
    "@Iberia llevo dos horas esperando en el aeropuerto y nadie nos dice nada",
    "¿Alguien sabe por qué no funciona la app hoy?",
    "¡Me encantó! Llegó antes de lo esperado.",
    "no me llego el paquete y ya pasaron 10 dias",
    "el producto es una porqueria, no funciona",
    "Gracias por la atención, muy amables todos",
    "La atencion al cliente es horrible, me colgaron el telefono dos veces",
    "Me cobraron dos veces la misma compra y no me devuelven el dinero",
    "Todo perfecto, el envío rápido y bien empaquetado",
    "q mal servicio, nunca mas compro aca",
    "El vuelo se retrasó cuatro horas y no nos dieron ni agua",
    "La camarera fue muy grosera con mi madre",
    "Compré unas zapatillas y me mandaron otra talla",
    "El técnico vino tarde y no resolvió el problema",
    "Precio justo y buena calidad, volvería a comprar",
    "Llamé cinco veces y siempre me dicen que espere",
    "No recomiendo esta tienda, tardaron un mes en enviar el pedido",
    "jajaja que desastre de empresa, ni contestan los correos",
    "el wifi del hotel no funcionaba y la habitación estaba sucia",
    "Estoy muy contento con la compra, todo llegó en perfecto estado",
    "Me parece un abuso que cobren tanto por el equipaje",
    "Hola, quiero cancelar mi suscripción y no encuentro cómo hacerlo",
    "La comida llegó fría y tardaron más de una hora",
    "Excelente atención de Marta en la tienda del centro, muy profesional",
    "No sirve para nada, se rompió al segundo día",
    "Ya es la tercera vez que me pasa lo mismo con ustedes",
    "¿Cuándo me van a devolver mi dinero? Estoy harto",
    "Buen producto pero el envío fue lentísimo",
    "los de soporte no tienen ni idea, me hicieron perder toda la tarde",
    "Me encanta esta marca, siempre cumplen",
    "Nos cambiaron la puerta de embarque sin avisar y perdimos el vuelo",
    "La factura viene con un cargo que nunca autoricé",
    "Servicio rápido y eficaz, sin problemas",
    "El repartidor dejó el paquete en la calle bajo la lluvia",
    "mil gracias por resolverlo tan rápido!!",
    "Que verguenza, el producto vino usado y sucio",
    "Pedí una pizza familiar y me trajeron una mediana",
    "Aún estoy esperando la respuesta de reclamaciones",
    "La aplicación se cierra sola cada vez que intento pagar",
    "Muy mala experiencia, el encargado nos trató fatal",
    "Todo bien, aunque el manual solo viene en inglés",
    "Vale la pena, funciona mejor de lo que esperaba",
    "después de tres semanas sigo sin internet en casa",
    "Muy mal",
    "No funciona",
    "Excelente producto",
    "una estafa total",
    "me encanta",
    "todo ok gracias",
    "Llegó roto",
    "Nunca más",
    "que onda con el envio??",
    "Buenísimo, lo volvería a comprar sin dudarlo",
    "El hotel está genial pero el desayuno es caro",
    "me atendieron súper bien en la sucursal de Palermo",
    "Tardaron mil años en contestar",
    "Servicio técnico inexistente",
    "La verdad es que no lo recomiendo",
    "Producto de calidad, envío rápido",
    "El colchón es cómodo pero huele raro",
    "Mi pedido sigue sin llegar, es una vergüenza",
    "Los precios subieron muchísimo este año",
    "No me dejan darme de baja, llevo meses intentándolo",
]

#: Short reviews (two to ten words) in the other four languages.
SHORT_REVIEWS: list[tuple[str, str]] = [
    ("pt", "Muito bom"),
    ("pt", "Não funciona"),
    ("pt", "Excelente produto"),
    ("pt", "uma fraude total"),
    ("pt", "adorei"),
    ("pt", "Chegou partido"),
    ("pt", "Nunca mais"),
    ("pt", "O hotel é ótimo mas o pequeno-almoço é caro"),
    ("pt", "A encomenda ainda não chegou, é uma vergonha"),
    ("pt", "Os preços subiram imenso este ano"),
    ("pt", "Não me deixam cancelar o contrato, já tentei várias vezes"),
    ("pt", "Fui muito bem atendido na loja do Chiado"),
    ("pt", "produto de qualidade, entrega rapida"),
    ("pt", "demorou demais pra chegar"),
    ("pt", "top demais, recomendo"),
    ("pt", "Estou à espera do reembolso há um mês"),
    ("ro", "Foarte bun"),
    ("ro", "Nu functioneaza"),
    ("ro", "Produs excelent"),
    ("ro", "o teapa totala"),
    ("ro", "Nu mai cumpar niciodata"),
    ("ro", "A ajuns spart"),
    ("ro", "Hotelul e super dar micul dejun e scump"),
    ("ro", "Comanda mea tot nu a ajuns, e o rusine"),
    ("ro", "Preturile au crescut enorm anul asta"),
    ("ro", "Nu ma lasa sa anulez contractul, am incercat de mai multe ori"),
    ("ro", "Am fost foarte bine servit la magazinul din centru"),
    ("ro", "Astept rambursarea de o luna"),
    ("ro", "Calitate slabă, nu merită banii"),
    ("ro", "Livrare rapidă, mulțumesc frumos"),
    ("ro", "nu raspunde nimeni la telefon"),
    ("en", "Very good"),
    ("en", "Doesn't work"),
    ("en", "Excellent product"),
    ("en", "total scam"),
    ("en", "Arrived broken"),
    ("en", "Never again"),
    ("en", "The hotel is great but breakfast is expensive"),
    ("en", "My order still hasn't arrived, it's a disgrace"),
    ("en", "Still waiting for my refund after a month"),
    ("en", "Prices went up a lot this year"),
    ("en", "the guy at the counter was so rude smh"),
    ("ru", "Очень хорошо"),
    ("ru", "Не работает"),
    ("ru", "Отличный товар"),
    ("ru", "Пришло сломанным"),
    ("ru", "Никогда больше"),
    ("ru", "Цены сильно выросли в этом году"),
    ("ru", "Жду возврат денег уже месяц"),
    ("ru", "Отель супер, но завтрак дорогой"),
    ("ru", "Мне хамили по телефону"),
    ("ru", "Kлиентская поддержка не отвечает"),
]

TOO_SHORT: list[str] = [
    "", "   ", "😀😀😀", "👍", "12345", "10/10", "!!!", "?", "http://t.co/abc", "@someone", "ok", "#fail",
]  # fmt: skip


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("expected", "text"), [(lang, text) for lang, texts in EXAMPLES.items() for text in texts]
)
def test_detects_supported_languages(detector: LanguageDetector, expected: str, text: str) -> None:
    assert detector.detect(text) == expected


@pytest.mark.parametrize("text", OTHER_EXAMPLES)
def test_other_languages_are_other(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == OTHER_LANGUAGE


def test_accuracy_on_spanish_sentences(detector: LanguageDetector) -> None:
    predicted = detector.detect_many(SPANISH)
    misses = [(text, p) for text, p in zip(SPANISH, predicted, strict=True) if p != "es"]
    assert len(SPANISH) >= 40
    assert 1 - len(misses) / len(SPANISH) >= 0.95, misses


def test_accuracy_on_short_reviews(detector: LanguageDetector) -> None:
    predicted = detector.detect_many([text for _, text in SHORT_REVIEWS])
    misses = [(t, p) for (lang, t), p in zip(SHORT_REVIEWS, predicted, strict=True) if p != lang]
    assert 1 - len(misses) / len(SHORT_REVIEWS) >= 0.9, misses


@pytest.mark.parametrize("text", TOO_SHORT)
def test_texts_without_enough_letters_get_the_fallback(text: str) -> None:
    assert LanguageDetector().detect(text) == OTHER_LANGUAGE
    assert LanguageDetector(fallback="pt").detect(text) == "pt"


@pytest.mark.parametrize("fallback", [*SUPPORTED_LANGUAGES, OTHER_LANGUAGE, None])
def test_every_supported_fallback_is_accepted(fallback: str | None) -> None:
    detector = LanguageDetector(fallback=fallback)
    assert detector.detect("😀") == (fallback or OTHER_LANGUAGE)


def test_fallback_does_not_change_clear_texts() -> None:
    detector = LanguageDetector(fallback="ru")
    assert detector.detect("the flight was cancelled and nobody told us") == "en"
    assert detector.detect("Il pacco non è mai arrivato") == OTHER_LANGUAGE


@pytest.mark.parametrize("bad", ["fr", "EN", "english", "", 3])
def test_bad_fallback_is_named_in_the_error(bad: object) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        LanguageDetector(fallback=bad)  # type: ignore[arg-type]


def test_bad_fallback_error_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="en, pt, es, ro, ru, other"):
        LanguageDetector(fallback="de")


def test_non_text_is_a_type_error(detector: LanguageDetector) -> None:
    with pytest.raises(TypeError, match="NoneType"):
        detector.detect(None)  # type: ignore[arg-type]


def test_mentions_urls_hashtags_and_digits_are_ignored(detector: LanguageDetector) -> None:
    # Handles and URLs made of words of another language must not sway the verdict.
    handles_and_url = "@nao_recebi_nada @el_pedido https://exemplo.com.br/nao-gostei-do-produto"
    assert detector.detect(f"{handles_and_url} the flight was late 2day #fail") == "en"
    assert detector.detect("#NaoRecomendo produto veio com defeito 100%") == "pt"
    nothing_left = "@united @AmericanAir http://t.co/x1 www.example.com 2015"
    assert LanguageDetector(fallback="es").detect(nothing_left) == "es"


def test_supported_languages_without_diacritics(detector: LanguageDetector) -> None:
    assert detector.detect("nu mai comand niciodata de aici, totul a venit stricat") == "ro"
    assert detector.detect("nao gostei, o produto e muito fraco e caro") == "pt"
    assert detector.detect("no me gusto nada, el producto es muy malo y caro") == "es"


def test_detect_many_matches_detect(detector: LanguageDetector) -> None:
    texts = [t for texts in EXAMPLES.values() for t in texts] + OTHER_EXAMPLES + TOO_SHORT
    assert detector.detect_many(texts) == [detector.detect(t) for t in texts]
    assert detector.detect_many([]) == []


def test_odd_input_does_not_break_it(detector: LanguageDetector) -> None:
    odd = ["zzz \ud800 qqq wwww", "abc\x00def ghi", "e\u0301 a\u0301", "\ufeffthe end", "x" * 100_000, "ё" * 50]
    allowed = {*SUPPORTED_LANGUAGES, OTHER_LANGUAGE}
    assert set(detector.detect_many(odd)) <= allowed
    assert {detector.detect(text) for text in odd} <= allowed


def test_long_text_is_decided(detector: LanguageDetector) -> None:
    text = "Comprei o aparelho na promoção e chegou rapidamente. " * 200
    assert detector.detect(text) == "pt"


# -- real data (../shared/data), when present --------------------------------------------

SAMPLE_SIZE = 2000
SEED = 20240601

#: Accuracy measured on these samples: en 0.992, pt 0.996, ro 0.987, ru 1.000.
#: What falls short is mostly one-word tweets, keyboard mashing, and English reviews in
#: the Romanian set.
THRESHOLDS = {"en": 0.98, "pt": 0.985, "ro": 0.975, "ru": 0.99}


def _airline_en(root: Path) -> list[str]:
    with open(root / "airline_en" / "tweets.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def _b2w_pt(root: Path) -> list[str]:
    with open(root / "b2w_pt" / "polarity.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def _laroseda_ro(root: Path) -> list[str]:
    texts = []
    with open(root / "laroseda_ro" / "train.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                texts.append(f"{record['title']}. {record['content']}")
    return texts


def _sentirueval_ru(root: Path) -> list[str]:
    with open(root / "sentirueval_ru" / "banks.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


READERS: dict[str, Callable[[Path], list[str]]] = {
    "en": _airline_en,
    "pt": _b2w_pt,
    "ro": _laroseda_ro,
    "ru": _sentirueval_ru,
}


@pytest.mark.parametrize("lang", list(READERS))
def test_accuracy_on_real_data(detector: LanguageDetector, lang: str) -> None:
    if not DATA.is_dir():
        pytest.skip(f"no real data at {DATA}")
    texts = READERS[lang](DATA)
    sample = random.Random(SEED).sample(texts, min(SAMPLE_SIZE, len(texts)))
    predicted = detector.detect_many(sample)
    accuracy = sum(p == lang for p in predicted) / len(sample)
    assert accuracy >= THRESHOLDS[lang], f"{lang}: accuracy {accuracy:.4f}"


def test_the_stop_word_snapshot_is_the_installed_spacys() -> None:
    from causa.nlp.word_lists import SPACY_STOP_WORDS, read_word_lists, spacy_stop_words

    snapshot = read_word_lists(SPACY_STOP_WORDS)
    assert {"en", "pt", "es", "ro", "fr", "de"} <= set(snapshot)
    assert snapshot == spacy_stop_words(list(snapshot)), "refresh it: python -m causa.nlp.word_lists"
