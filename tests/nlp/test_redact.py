"""Tests of causa.nlp.redact: PII found in five languages, non-PII numbers kept, offsets, idempotence, properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from causa.nlp.national_ids import (
    cnp_ok, cnpj_ok, cpf_ok, dni_ok, inn_ok, nie_ok, nino_ok, passport_ok, snils_ok, ssn_ok,
)
from causa.nlp.redact import PLACEHOLDERS, RedactedText, Redaction, redact, redact_many

# (input, expected output) pairs, written per language and PII kind.
POSITIVE = [
    # English / US-CA
    ("Call me at +1 (555) 123-4567 please", "Call me at [PHONE] please"),
    ("my cell is 555-123-4567.", "my cell is [PHONE]."),
    ("reach me on 555.123.4567 after 6pm", "reach me on [PHONE] after 6pm"),
    ("(555) 123-4567 is my number", "[PHONE] is my number"),
    ("email me: john.doe+shop@mail.example.co.uk, thanks", "email me: [EMAIL], thanks"),
    ("Contact JANE_99@Sub.Domain.ORG!", "Contact [EMAIL]!"),
    ("charged my card 4111 1111 1111 1111 twice", "charged my card [CARD] twice"),
    ("card 4111-1111-1111-1111 declined", "card [CARD] declined"),
    ("amex 3782 822463 10005 and mc 5555555555554444", "amex [CARD] and mc [CARD]"),
    ("19 digits: 6011 1111 1111 1111 003.", "19 digits: [CARD]."),
    ("card written oddly: 55 55 5555 55 55 44 44 thanks", "card written oddly: [CARD] thanks"),
    ("call 212-555-0147(99) voicemail full", "call [PHONE](99) voicemail full"),
    ("cartão 4111111111111111 clonado", "cartão [CARD] clonado"),
    ("pedido 4111111111111111", "pedido [CARD]"),  # 16+ Luhn-valid digits are a card whatever comes before
    ("refund to GB82 WEST 1234 5698 7654 32 please", "refund to [IBAN] please"),
    ("reset link https://shop.example.com/reset?token=abc123XYZ&lang=en sent",
     "reset link https://shop.example.com/reset?token=[TOKEN]&lang=en sent"),
    # Portuguese (BR and PT)
    ("Meu celular: +55 11 91234-5678, me liga", "Meu celular: [PHONE], me liga"),
    ("whatsapp (11) 91234-5678 ou fixo 11 3123-4567", "whatsapp [PHONE] ou fixo [PHONE]"),
    ("Liguem para +351 912 345 678 ou 912345678", "Liguem para [PHONE] ou [PHONE]"),
    ("o meu email é joao.silva@exemplo.com.br", "o meu email é [EMAIL]"),
    ("cartão 5555 5555 5555 4444 cobrado duas vezes", "cartão [CARD] cobrado duas vezes"),
    ("IBAN PT50 0002 0123 1234 5678 9015 4 para reembolso", "IBAN [IBAN] para reembolso"),
    ("Elo 6362 9700 0045 7013 recusado", "Elo [CARD] recusado"),
    # Spanish (ES and Latin America)
    ("Llámame al +34 612 34 56 78 o al 612 345 678", "Llámame al [PHONE] o al [PHONE]"),
    ("teléfono fijo 91 123 45 67", "teléfono fijo [PHONE]"),
    ("México: +52 55 1234 5678 o 55 1234 5678", "México: [PHONE] o [PHONE]"),
    ("Argentina +54 9 11 1234-5678, Colombia 300 123 4567", "Argentina [PHONE], Colombia [PHONE]"),
    ("mi correo es maria-lopez@correo.es", "mi correo es [EMAIL]"),
    ("devolución a ES91 2100 0418 4502 0005 1332", "devolución a [IBAN]"),
    ("tarjeta 6011111111111117 rechazada", "tarjeta [CARD] rechazada"),
    # Romanian
    ("Sunați-mă la +40 721 234 567 sau 0721 234 567", "Sunați-mă la [PHONE] sau [PHONE]"),
    ("telefon 0721.234.567, fix 021 123 4567", "telefon [PHONE], fix [PHONE]"),
    ("contul RO49 AAAA 1B31 0075 9384 0000 pentru rambursare", "contul [IBAN] pentru rambursare"),
    ("scrieți-mi la ion.popescu@exemplu.ro", "scrieți-mi la [EMAIL]"),
    # Russian
    ("Позвоните +7 (912) 345-67-89 вечером", "Позвоните [PHONE] вечером"),
    ("мой номер 8 912 345 67 89", "мой номер [PHONE]"),
    ("офис 8(495)123-45-67, моб. 89123456789", "офис [PHONE], моб. [PHONE]"),
    ("почта ivan.petrov@yandex.ru", "почта [EMAIL]"),
    ("карта 2200 0000 0000 0004 списали дважды", "карта [CARD] списали дважды"),
    # URLs with secrets
    ("https://user:hunter2@host.example.com/path", "https://user:[TOKEN]@host.example.com/path"),
    ("see www.site.com/p?sessionid=77&q=2", "see www.site.com/p?sessionid=[TOKEN]&q=2"),
    ("https://api.example.com/v1?api_key=XYZ&sig=aa==&page=2",
     "https://api.example.com/v1?api_key=[TOKEN]&sig=[TOKEN]&page=2"),
    ("https://app.example.com/#access_token=eyJhb.cc.dd&expires=3600",
     "https://app.example.com/#access_token=[TOKEN]&expires=3600"),
    ("https://x.com/login?email=joe%40x.com&next=/", "https://x.com/login?email=[EMAIL]&next=/"),
    ("fale comigo: https://wa.me/5511912345678", "fale comigo: https://wa.me/[PHONE]"),
    # Mixed
    ("IBAN DE89 3704 0044 0532 0130 00 ou tel 912345678", "IBAN [IBAN] ou tel [PHONE]"),
    ("telefone: 3123-4567 (fixo)", "telefone: [PHONE] (fixo)"),
    ("Obrigada, Ana 98346-1234", "Obrigada, Ana [PHONE]"),
]

NEGATIVE = [
    # amounts
    "Paguei R$ 1.234,56 e ainda cobraram R$ 49,90",
    "It cost $1,299.99 plus $15.00 shipping",
    "Списали 1 500 руб. и ещё 15 000 000 руб",
    "precio 612 345 678 €",
    "Costó € 612 345 678",
    # dates and times, years, percentages
    "Ordered on 12/10/2026, delivered 2026-10-14",
    "Доставка 14.10.2026 18:30, опоздали на 2 часа",
    "cliente desde 2019-2023, 95% satisfeito",
    "timestamp 1697040000 in the log",
    # order / ticket / flight numbers
    "order #123456789 never arrived",
    "pedido 98765432 atrasado",
    "flight UA 1234 was delayed",
    "заказ № 45678912 не доставлен",
    "ticket 5551234567 still open",
    "protocolo 912345678 sem resposta",
    "número de pedido: 912345678",
    "my order number is 5551234567",
    "comanda nr. 0721234567 a întârziat",
    "número de pedido 612345678 sin entregar",
    "Номер заказа 89123456789",
    # checks fail
    "card 4111 1111 1111 1112 declined",
    "tracking DE89370400440532013001",
    "código 1234567890123",
    "zeros 0000000000000000",
    # Luhn-valid, but grouped as an Amazon order number / an ISBN, not as a card
    "Amazon order 114-1234567-1234506 arrived broken",
    "ISBN 978-3-16-148410-0",
    "ISBN 9780306406157",
    "protocolo nº 378282246310005",  # Luhn-valid, but 13-15 digits right after a keyword read as an id
    "see photo 4111111111111111.jpg",
    # ranges, IP addresses, decimals, typo'd dates, order ids written like phones
    "baterie reala de 7000-7500 mah, nu 10000",
    "capacidade entre 2200-2400 e 3000 - 4500",
    "mail comes from 153.69.214.203 and bounces",
    "paid in december 2017 3400.00 total",
    "cumparata pe 29.01.20018",
    "O pedido é o 02-655373078",
    "n° do pedido 02 659504391 nota fiscal",
    "código de postagem 968861025",
    "bag tags 0016 964012, 0016 964077",
    "OS 4147624399 aberta",
    # plain URLs
    "see https://example.com/products/5551234567?page=2&sort=price",
    "www.loja.com.br/produto?id=12345",
    # not emails
    "@support you never answered",
    "meet me @ 5pm",
]


def check_offsets(result: RedactedText) -> None:
    """Each redaction points at its placeholder, in order, without overlaps."""
    previous_end = 0
    for redaction in result.redactions:
        assert isinstance(redaction, Redaction)
        assert result.text[redaction.start : redaction.end] == PLACEHOLDERS[redaction.kind]
        assert redaction.start >= previous_end
        previous_end = redaction.end


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_redacts_pii(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    check_offsets(result)
    assert len(result.redactions) == expected.count("[")


@pytest.mark.parametrize("text", NEGATIVE)
def test_keeps_non_pii(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.redactions == ()
    assert result.kinds == ()


@pytest.mark.parametrize("text", [text for text, _ in POSITIVE] + NEGATIVE)
def test_idempotent(text: str) -> None:
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.redactions == ()


def test_kinds_and_offsets_of_a_mixed_text() -> None:
    text = "mail a@b.co, tel +40 721 234 567, card 4111111111111111, again x@y.io"
    result = redact(text)
    assert result.text == "mail [EMAIL], tel [PHONE], card [CARD], again [EMAIL]"
    assert result.kinds == ("card", "email", "phone")
    assert [(r.kind, r.start, r.end) for r in result.redactions] == [
        ("email", 5, 12),
        ("phone", 18, 25),
        ("card", 32, 38),
        ("email", 46, 53),
    ]


def test_phone_keyword_overrides_order_shape() -> None:
    assert redact("telefone: 3123-4567").text == "telefone: [PHONE]"
    assert redact("pedido 3123-4567").text == "pedido 3123-4567"


def test_international_prefix_wins_over_order_keyword() -> None:
    assert redact("pedido, me liga +55 11 91234-5678").text == "pedido, me liga [PHONE]"


def test_redact_many_matches_redact() -> None:
    texts = [text for text, _ in POSITIVE] + NEGATIVE + ["", "no pii here at all"]
    assert redact_many(texts) == [redact(text) for text in texts]
    assert redact_many(iter(["a@b.co"]))[0].text == "[EMAIL]"


def test_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="expects str"):
        redact(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        redact_many([b"bytes"])  # type: ignore[list-item]


def test_results_are_frozen() -> None:
    result = redact("a@b.co")
    with pytest.raises(AttributeError):
        result.text = "x"  # type: ignore[misc]


def test_long_adversarial_inputs_stay_fast() -> None:
    import time

    texts = [
        "a" * 100_000 + "@",
        "1 " * 50_000,
        "1-" * 50_000 + "1",
        "DE89 " * 20_000,
        "https://x.com/?" + "token=a&" * 10_000,
        ("x." * 50_000) + "@" + ("y." * 50_000),
    ]
    start = time.perf_counter()
    for text in texts:
        check_offsets(redact(text))
    assert time.perf_counter() - start < 10


# --------------------------------------------------------------------------- properties


def luhn_complete(body: str) -> str:
    """body plus the check digit that makes it Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written) of a Luhn-valid 16-digit card number."""
    first = draw(st.sampled_from("23456"))
    body = first + draw(st.text("0123456789", min_size=14, max_size=14))
    digits = luhn_complete(body)
    assume(len(set(digits)) > 1)
    style = draw(st.sampled_from(["", " ", "-"]))
    written = style.join(digits[i : i + 4] for i in range(0, 16, 4)) if style else digits
    return digits, written


emails = st.from_regex(
    r"\A[a-z0-9]{1,10}([._+-][a-z0-9]{1,8}){0,2}@[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){0,2}\.[a-z]{2,6}\Z"
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text())
@example("+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8")
@example("@@@a@b.c@d.ef@")
@example("https://x.com/?token=a&ref=5551234567")
def test_arbitrary_text_never_raises_and_is_idempotent(text: str) -> None:
    result = redact(text)
    check_offsets(result)
    again = redact(result.text)
    assert again.text == result.text


@SETTINGS
@given(st.text(), cards(), st.text())
def test_inserted_card_is_removed(prefix: str, card: tuple[str, str], suffix: str) -> None:
    digits, written = card
    result = redact(f"{prefix} {written} {suffix}")
    check_offsets(result)
    assert written not in result.text
    assert digits not in re.sub(r"[\s-]", "", result.text)


@SETTINGS
@given(st.text(), emails, st.text())
def test_inserted_email_is_removed(prefix: str, email: str, suffix: str) -> None:
    result = redact(f"{prefix} {email} {suffix}")
    check_offsets(result)
    assert email not in result.text
    assert "email" in result.kinds


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_characters="0123456789@")))
def test_text_without_digits_at_or_urls_is_unchanged(text: str) -> None:
    assume("://" not in text and "www." not in text.lower())
    result = redact(text)
    assert result.text is text or result.text == text
    assert result.redactions == ()


# --------------------------------------------------------------------------- national ids, credentials, spelled emails
WRITTEN_POSITIVE = [
    # English: SSN, National Insurance number, credentials, spelled-out emails
    ("my SSN is 123-45-6789, please delete it", "my SSN is [NATIONAL_ID], please delete it"),
    ("social security number 078051121 on file", "social security number [NATIONAL_ID] on file"),
    ("NI number AB 12 34 56 C rejected", "NI number [NATIONAL_ID] rejected"),
    ("payroll has CE123456D wrong", "payroll has [NATIONAL_ID] wrong"),
    ("my password is hunter2 and it fails", "my password is [CREDENTIAL] and it fails"),
    ("password for my account is letmein", "password for my account is [CREDENTIAL]"),
    ("they changed my password to Sol2024! without asking", "they changed my password to [CREDENTIAL]! without asking"),
    ("ATM ate my card, PIN 1234 didn't work", "ATM ate my card, PIN [CREDENTIAL] didn't work"),
    ("CVV 123 was rejected", "CVV [CREDENTIAL] was rejected"),
    ("email me at jane(at)gmail.com", "email me at [EMAIL]"),
    ("write to jane at yahoo dot com please", "write to [EMAIL] please"),
    ("jane.doe at gmail.com", "[EMAIL]"),
    ("john dot smith [at] outlook [dot] com", "[EMAIL]"),
    # Portuguese: CPF, CNPJ, senha, arroba/ponto
    ("meu CPF é 123.456.789-09, confiram", "meu CPF é [NATIONAL_ID], confiram"),
    ("cpf 12345678909 bloqueado", "cpf [NATIONAL_ID] bloqueado"),
    ("nota emitida no 529.982.247-25 sem autorização", "nota emitida no [NATIONAL_ID] sem autorização"),
    ("loja do CNPJ 11.222.333/0001-81 não entrega", "loja do CNPJ [NATIONAL_ID] não entrega"),
    ("minha senha é abc123 e não entra", "minha senha é [CREDENTIAL] e não entra"),
    ("senha: banana", "senha: [CREDENTIAL]"),
    ("senha do cartão 9711 bloqueada", "senha do cartão [CREDENTIAL] bloqueada"),
    ("me escreve: joao arroba gmail ponto com", "me escreve: [EMAIL]"),
    # Spanish: DNI, NIE, contraseña, arroba/punto
    ("Mi DNI es 12345678Z y no me dejan", "Mi DNI es [NATIONAL_ID] y no me dejan"),
    ("documento 12.345.678-Z en la factura", "documento [NATIONAL_ID] en la factura"),
    ("mi NIE X1234567L aparece mal", "mi NIE [NATIONAL_ID] aparece mal"),
    ("contraseña Hola1234", "contraseña [CREDENTIAL]"),
    ("mi contraseña es gatito y no funciona", "mi contraseña es [CREDENTIAL] y no funciona"),
    ("escríbeme a lucia arroba hotmail punto es", "escríbeme a [EMAIL]"),
    # Romanian: CNP, parola, arond/punct/arobase
    ("mi-au cerut CNP-ul 1800101221144 la telefon", "mi-au cerut CNP-ul [NATIONAL_ID] la telefon"),
    ("Am trimis 1800101221144 și buletinul", "Am trimis [NATIONAL_ID] și buletinul"),
    ("parola mea este abc123", "parola mea este [CREDENTIAL]"),
    ("codul PIN este 4321", "codul PIN este [CREDENTIAL]"),
    ("nume arobase yahoo punct com", "[EMAIL]"),
    ("scrieți-mi la ion arond gmail punct com", "scrieți-mi la [EMAIL]"),
    # Russian: SNILS, INN, passport, пароль, собака/точка
    ("мой СНИЛС 112-233-445 95, проверьте", "мой СНИЛС [NATIONAL_ID], проверьте"),
    ("СНИЛС: 11223344595", "СНИЛС: [NATIONAL_ID]"),
    ("ИНН 7707083893 у продавца", "ИНН [NATIONAL_ID] у продавца"),
    ("мой ИНН 500100732259", "мой ИНН [NATIONAL_ID]"),
    ("паспорт 45 06 123456 выдан", "паспорт [NATIONAL_ID] выдан"),
    ("паспорт серии 4506 № 123456", "паспорт серии [NATIONAL_ID]"),
    ("пароль qwerty123", "пароль [CREDENTIAL]"),
    ("пароль от почты: qwe123", "пароль от почты: [CREDENTIAL]"),
    ("пин-код 1234 заблокировали", "пин-код [CREDENTIAL] заблокировали"),
    ("пишите на ivan собака mail точка ru", "пишите на [EMAIL]"),
]

INVALID_IDS = [
    # a wrong check digit is not a national id (a phone detector may still take the digits)
    "my SSN 666-12-3456 was typed wrong",
    "NI number QQ 12 34 56 C from the example form",
    "CNPJ 11.222.333/0001-80 na nota",
    "Mi DNI es 12345678A, con letra mal",
    "NIE X1234567A",
    "CNP 1800101221145 greșit",
    "ИНН 7707083894 с ошибкой",
    "ИНН 500100732258",
    "СНИЛС 112-233-445 96",
]

WRITTEN_NEGATIVE = [
    # ids, prices, dates, flight numbers, part numbers
    "comanda 1800101221144 nu a ajuns",  # a CNP-valid number right after an order word is the order's
    "pedido 12345678909 não chegou",
    "Заказ № 4506123456 не доставлен",
    "our PN 320008A wheel deflator",
    "flight IB 3456 was 2 hours late",
    "pagué 1.299,99 € el 12/10/2026",
    "договор 12-3456/2026 от 01.10.2026",
    "El pedido 12345678 llegó tarde",
    # credential words without a credential
    "my password is wrong again",
    "forgot my password, reset link never came",
    "minha senha não funciona",
    "a senha é meio complicada",
    "contraseña incorrecta otra vez",
    "parola nu merge",
    "пароль не подходит",
    "the pin 2 on the charger is bent",
    # "at" as a word
    "I bought it at amazon.com last week",
    "we met at 5 pm",
    "I was at home dot com era",
]


@pytest.mark.parametrize(("text", "expected"), WRITTEN_POSITIVE)
def test_redacts_national_ids_credentials_and_spelled_emails(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    check_offsets(result)
    assert redact(result.text).text == result.text


@pytest.mark.parametrize("text", INVALID_IDS)
def test_invalid_check_digit_is_not_a_national_id(text: str) -> None:
    assert "national_id" not in redact(text).kinds


@pytest.mark.parametrize("text", WRITTEN_NEGATIVE)
def test_keeps_order_ids_amounts_dates_and_credential_words(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.redactions == ()


def test_placeholders_are_typed() -> None:
    assert PLACEHOLDERS["national_id"] == "[NATIONAL_ID]" and PLACEHOLDERS["credential"] == "[CREDENTIAL]"
    result = redact("CPF 123.456.789-09, senha: abc123, email ana(at)uol.com.br, tel +55 11 91234-5678")
    assert result.kinds == ("credential", "email", "national_id", "phone")


def test_redact_many_matches_redact_on_the_new_kinds() -> None:
    texts = [text for text, _ in WRITTEN_POSITIVE] + INVALID_IDS + WRITTEN_NEGATIVE
    assert redact_many(texts) == [redact(text) for text in texts]


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (cpf_ok, "52998224725", "52998224724"),
        (cnpj_ok, "11222333000181", "11222333000182"),
        (cnp_ok, "1800101221144", "1801301221144"),  # month 13
        (snils_ok, "11223344595", "11223344594"),
        (inn_ok, "7707083893", "7707083890"),
        (inn_ok, "500100732259", "500100732250"),
        (ssn_ok, "123456789", "900456789"),
    ],
)
def test_check_digits(check, valid: str, invalid: str) -> None:
    assert check(valid)
    assert not check(invalid)


def test_letter_checks() -> None:
    assert dni_ok("12345678", "z") and not dni_ok("12345678", "A")
    assert nie_ok("Y", "1234567", "X") and not nie_ok("Y", "1234567", "L")
    assert nino_ok("AB") and not nino_ok("QQ") and not nino_ok("GB")


def cpf_complete(body: str) -> str:
    """body (9 digits) plus its two CPF check digits."""
    digits = body
    for length in (9, 10):
        total = sum(int(char) * weight for char, weight in zip(digits, range(length + 1, 1, -1)))
        digits += str(total * 10 % 11 % 10)
    return digits


@SETTINGS
@given(st.text(), st.text("0123456789", min_size=9, max_size=9), st.text())
def test_inserted_formatted_cpf_is_removed(prefix: str, body: str, suffix: str) -> None:
    assume(len(set(body)) > 1)
    digits = cpf_complete(body)
    written = f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    result = redact(f"{prefix} CPF {written} {suffix}")
    check_offsets(result)
    assert written not in result.text


# --------------------------------------------------------------------------- passports and bare CPFs
PASSPORTS = [
    # Brazil: 2 letters + 6 digits
    ("meu passaporte é FT123456, venceu ontem", "meu passaporte é [NATIONAL_ID], venceu ontem"),
    ("número do passaporte: FT 123456", "número do passaporte: [NATIONAL_ID]"),
    # Spain: 3 letters + 6 digits
    ("mi pasaporte es PAA123456 y caducó", "mi pasaporte es [NATIONAL_ID] y caducó"),
    ("n.º de pasaporte XDA654321", "n.º de pasaporte [NATIONAL_ID]"),
    # Romania: 8 or 9 digits, or 2 letters + 6 or 7 digits
    ("pașaport 05123456 expirat", "pașaport [NATIONAL_ID] expirat"),
    ("pașaportul meu 123456789 nu e valid", "pașaportul meu [NATIONAL_ID] nu e valid"),
    ("pasaportul cu numărul AB1234567", "pasaportul cu numărul [NATIONAL_ID]"),
    # US and UK: 9 digits (a US next-generation book: a letter + 8 digits)
    ("my passport number is 123456789, please delete it", "my passport number is [NATIONAL_ID], please delete it"),
    ("UK passport 987654321 was refused at the gate", "UK passport [NATIONAL_ID] was refused at the gate"),
    ("passport no. A12345678", "passport no. [NATIONAL_ID]"),
    # Russia: international passport 2 + 7 digits
    ("загранпаспорт 72 1234567 не приняли", "загранпаспорт [NATIONAL_ID] не приняли"),
    ("паспорт № 721234567", "паспорт № [NATIONAL_ID]"),
]

PASSPORT_NEGATIVES = [
    # the same shapes after an order word, or with no passport word right before them
    "pedido FT123456 não chegou",
    "código de rastreio FT123456 parado",
    "el pedido PAA123456 llegó tarde",
    "comanda nr. 12345678 a întârziat",
    "comanda AB1234567 anulată",
    "order number 123456789 never arrived",
    "passport photo booth 123456789",
    "order A12345678 was cancelled",
    "заказ 72 1234567 не доставлен",
    "заказ № 721234567",
    "passport 111111111",
    "passport ABCD123456",
]

BARE_CPFS = [
    # formatted with valid check digits: a CPF whatever the words before it
    ("meu documento 123.456.789-09 foi recusado", "meu documento [NATIONAL_ID] foi recusado"),
    ("documento: 529.982.247-25", "documento: [NATIONAL_ID]"),
    # eleven bare digits with valid check digits: a CPF only after its name
    ("CPF 52998224725 bloqueado", "CPF [NATIONAL_ID] bloqueado"),
]

DNIS_WITH_A_SEPARATE_LETTER = [
    # eight digits are also a Romanian passport's shape: a DNI's letter after a dash or a space still makes it one
    ("pidieron el documento 13563213-K por teléfono", "pidieron el documento [NATIONAL_ID] por teléfono"),
    ("DNI 96159506 W, por favor corrijan", "DNI [NATIONAL_ID], por favor corrijan"),
]

NOT_CPFS = [
    "meu documento 52998224725 foi recusado",  # 11 bare digits without the name: perhaps an order or phone number
    "pedido 12345678909 não chegou",
    "meu documento 123.456.789-00 foi recusado",  # the CPF shape, wrong check digits
]


@pytest.mark.parametrize(("text", "expected"), PASSPORTS + BARE_CPFS + DNIS_WITH_A_SEPARATE_LETTER)
def test_passport_numbers_after_a_passport_word_and_formatted_cpfs_are_national_ids(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.kinds == ("national_id",)
    check_offsets(result)


@pytest.mark.parametrize("text", PASSPORT_NEGATIVES)
def test_passport_shapes_without_a_passport_word_are_kept(text: str) -> None:
    result = redact(text)
    assert result.text == text and result.redactions == ()


@pytest.mark.parametrize("text", NOT_CPFS)
def test_bare_or_wrong_cpf_digits_are_not_national_ids(text: str) -> None:
    assert "national_id" not in redact(text).kinds


def test_passport_shapes() -> None:
    assert passport_ok("FT", "123456") and passport_ok("PAA", "123456") and passport_ok("AB", "1234567")
    assert passport_ok("A", "12345678") and passport_ok("", "12345678") and passport_ok("", "721234567")
    assert passport_ok("", "4506123456")  # a Russian internal passport: series and number
    assert not passport_ok("PAA", "1234567") and not passport_ok("FT", "12345") and not passport_ok("", "1234567")
    assert not passport_ok("", "0000000000") and not passport_ok("", "99999999") and not passport_ok("A1", "123456")
