"""National identity numbers in feedback text, each accepted only when its check digits (or allocation rules) hold.

Brazil CPF and CNPJ, Romania CNP, Spain DNI and NIE, Russia SNILS, INN and passport, US SSN, UK National
Insurance number, and the passport numbers of Brazil, Spain, Romania, the US, the UK and Russia. A number written
in the document's own shape ("123.456.789-09", "123-456-789 01", "12345678Z") is accepted on its check alone;
bare digits that could as well be an order or phone number ("12345678909", "7707083893") need the document's name
right before them ("CPF", "ИНН", "паспорт"). Passport numbers have no check digit, so the keyword is all the
evidence: "passaporte FT123456", "pasaporte PAA123456", "pașaport 12345678", "passport 123456789",
"загранпаспорт 72 1234567" only after a passport word. A bare 13-digit CNP is accepted without its name (its date,
county and check digit make a chance hit rare) but not after an order word: national_id_spans marks those spans
bare for the caller to judge.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from causa.nlp.keyword_context import reversed_context

NATIONAL_ID = "national_id"

# --------------------------------------------------------------------------- check digits


def _all_same(digits: str) -> bool:
    return digits.count(digits[0]) == len(digits)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum((ord(char) - 48) * weight for char, weight in zip(digits, weights))


def cpf_ok(digits: str) -> bool:
    """Brazilian CPF: 11 digits, two mod-11 check digits."""
    if len(digits) != 11 or not digits.isdigit() or _all_same(digits):
        return False
    for length in (9, 10):
        check = _weighted(digits, tuple(range(length + 1, 1, -1))) * 10 % 11 % 10
        if check != ord(digits[length]) - 48:
            return False
    return True


_CNPJ_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cnpj_ok(digits: str) -> bool:
    """Brazilian CNPJ: 14 digits, two mod-11 check digits."""
    if len(digits) != 14 or not digits.isdigit() or _all_same(digits):
        return False
    for length in (12, 13):
        remainder = _weighted(digits, _CNPJ_WEIGHTS[13 - length :]) % 11
        if (0 if remainder < 2 else 11 - remainder) != ord(digits[length]) - 48:
            return False
    return True


_CNP_WEIGHTS = (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)
_CNP_CENTURY = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000}
_CNP_COUNTIES = frozenset(f"{county:02d}" for county in [*range(1, 49), 51, 52, 70])


def cnp_ok(digits: str) -> bool:
    """Romanian CNP: sex/century digit, a real birth date, a county code, a serial and a mod-11 check digit."""
    if len(digits) != 13 or not digits.isdigit() or digits[0] == "0":
        return False
    year, month, day = int(digits[1:3]), int(digits[3:5]), int(digits[5:7])
    if not 1 <= month <= 12:
        return False
    full_year = _CNP_CENTURY.get(digits[0], 2000) + year  # 7, 8, 9: residents and foreigners, century unstated
    if not 1 <= day <= calendar.monthrange(full_year, month)[1]:
        return False
    if digits[7:9] not in _CNP_COUNTIES or digits[9:12] == "000":
        return False
    remainder = _weighted(digits, _CNP_WEIGHTS) % 11
    return (1 if remainder == 10 else remainder) == ord(digits[12]) - 48


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(digits: str, letter: str) -> bool:
    """Spanish DNI: 8 digits and the letter of their remainder mod 23."""
    return len(digits) == 8 and digits.isdigit() and _DNI_LETTERS[int(digits) % 23] == letter.upper()


def nie_ok(prefix: str, digits: str, letter: str) -> bool:
    """Spanish NIE: X, Y or Z (read as 0, 1, 2), 7 digits and the DNI letter of the whole number."""
    lead = "XYZ".find(prefix.upper())
    return lead >= 0 and len(digits) == 7 and digits.isdigit() and dni_ok(f"{lead}{digits}", letter)


def snils_ok(digits: str) -> bool:
    """Russian SNILS: a 9-digit number and its 2-digit check number (weighted sum mod 101)."""
    if len(digits) != 11 or not digits.isdigit() or _all_same(digits[:9]) or int(digits[:9]) <= 1001998:
        return False
    total = _weighted(digits, (9, 8, 7, 6, 5, 4, 3, 2, 1))
    check = total if total < 100 else total % 101 % 100
    return check == int(digits[9:])


_INN_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_ok(digits: str) -> bool:
    """Russian INN: 10 digits (organisations) with one check digit, or 12 (people) with two."""
    if not digits.isdigit() or digits[:2] == "00" or _all_same(digits):
        return False
    if len(digits) == 10:
        return _weighted(digits, _INN_10) % 11 % 10 == ord(digits[9]) - 48
    if len(digits) == 12:
        return (
            _weighted(digits, _INN_11) % 11 % 10 == ord(digits[10]) - 48
            and _weighted(digits, _INN_12) % 11 % 10 == ord(digits[11]) - 48
        )
    return False


def ssn_ok(digits: str) -> bool:
    """US SSN: area 001-899 but not 666, group 01-99, serial 0001-9999 (the rules the SSA allocates by)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def russian_passport_ok(digits: str) -> bool:
    """Russian internal passport: a 4-digit series (region code, then year of issue) and a 6-digit number."""
    return len(digits) == 10 and digits.isdigit() and digits[:2] != "00" and digits[4:] != "000000"


_PASSPORT_DIGITS = frozenset({8, 9})
"""Passport numbers of digits only: Romania 8 or 9, the US and the UK 9, a Russian international passport 2 + 7."""
_PASSPORT_LETTERS_DIGITS = frozenset({(1, 8), (2, 6), (2, 7), (3, 6)})
"""Letters then digits: a US passport card or next-generation book 1 + 8, Brazil 2 + 6, Romania 2 + 6 or 7,
Spain 3 + 6."""


def passport_ok(letters: str, digits: str) -> bool:
    """A passport number of one of those shapes (no check digit: only a passport word before it makes it one)."""
    if not digits.isdigit() or _all_same(digits):
        return False
    if letters:
        return letters.isalpha() and (len(letters), len(digits)) in _PASSPORT_LETTERS_DIGITS
    return len(digits) in _PASSPORT_DIGITS or russian_passport_ok(digits)


_NINO_FIRST = frozenset("ABCEGHJKLMNOPRSTWXYZ")
_NINO_SECOND = frozenset("ABCEGHJKLMNPRSTWXYZ")
_NINO_UNUSED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_ok(prefix: str) -> bool:
    """UK National Insurance number prefix: two letters HMRC allocates (the digits and suffix have no check)."""
    prefix = prefix.upper()
    return prefix[0] in _NINO_FIRST and prefix[1] in _NINO_SECOND and prefix not in _NINO_UNUSED


# --------------------------------------------------------------------------- finding them

# Which document a keyword before a number names.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "cpf": ("cpf", "c.p.f", "c.p.f."),
    "cnpj": ("cnpj",),
    "cnp": ("cnp", "cod numeric personal", "codul numeric personal", "codului numeric personal"),
    "snils": ("снилс", "snils", "страховой номер", "страхового свидетельства"),
    "inn": ("инн", "inn"),
    "passport": (
        "паспорт", "паспорта", "паспорте", "паспортом", "паспортные данные", "серия", "серии", "загранпаспорт",
        "загранпаспорта", "загранпаспорте", "загранпаспортом", "passport", "passaporte", "pasaporte", "pașaport",
        "pasaport", "pașaportul", "pasaportul", "pașaportului", "pasaportului",
    ),
    "ssn": ("ssn", "ss#", "social security", "social security number", "social security no", "soc sec"),
}
_FAMILY = {word: family for family, words in _KEYWORDS.items() for word in words}
_CONNECTORS = (
    "n", "nº", "n°", "no", "nr", "num", "number", "número", "numero", "numărul", "numarul", "номер", "is", "é",
    "es", "este", "e", "de", "do", "da", "din", "my", "mi", "meu", "minha", "meus", "мой", "мои", "моего", "мою",
    "данные", "серия", "серии", "и", "cu", "con", "com", "with", "с", "номером",
)
_ID_CONTEXT = reversed_context(_FAMILY, _CONNECTORS, r":.#№º°\-", "")
_CONTEXT_WINDOW = 48

# Every shape is matched from its first digit (a pattern led by a character class scans fast); the lookbehinds keep
# a match from starting inside a word, a longer number, a "+7" phone or a decimal. The letters an NIE, a NINO or a
# lettered passport number starts with are read back from the text by _NIE_PREFIX, _NINO_PREFIX, _PASSPORT_PREFIX.
_CANDIDATE = re.compile(
    r"[0-9](?:"
    r"(?<![\w+].)(?<![0-9][.,/:-].)(?:"
    r"(?P<cnpj>[0-9]\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2})"
    r"|(?P<snils>[0-9]{2}-[0-9]{3}-[0-9]{3}[ -][0-9]{2})"
    r"|(?P<cpf>[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}-[0-9]{2})"
    r"|(?P<spaced11>[0-9]{2}[ .][0-9]{3}[ .][0-9]{3}[ .][0-9]{2})"
    r"|(?P<ssn>[0-9]{2}-[0-9]{2}-[0-9]{4})"
    r"|(?P<spaced9>[0-9]{2} [0-9]{2} [0-9]{4})"
    r"|(?P<passport>[0-9] ?[0-9]{2} ?(?:(?:№|N[°º]|(?i:nr|no|номер)\.?) ?)?[0-9]{6})"
    r"|(?P<passport_2_7>[0-9] (?:№ ?)?[0-9]{7})"
    r"|(?P<dni>[0-9]\.?[0-9]{3}\.?[0-9]{3}(?:-?[A-Za-z]| [A-Z]))"
    r"|(?P<bare>[0-9]{7,13})"
    r")"
    r"|(?:(?<=[A-Za-z].)|(?<=[A-Za-z][ -].))(?:"
    r"(?P<nie>[0-9]{6}(?:-?[A-Za-z]| [A-Z]))"
    r"|(?P<nino>[0-9] ?[0-9]{2} ?[0-9]{2}(?:[A-Da-d]| [A-D]))"
    r"|(?P<lettered>[0-9]{5,7})"
    r")"
    r")"
    r"(?!\w)(?![.,/:-][0-9])"
)
_NIE_PREFIX = re.compile(r"(?<![\w+])[XYZxyz]-?$")
_NINO_PREFIX = re.compile(r"(?<![\w+])[A-Za-z]{2} ?$")
_PASSPORT_PREFIX = re.compile(r"(?<![\w+])(?:[A-Za-z]{1,3}|[A-Z]{1,3} )$")
"""The letters of a lettered passport number, glued to its digits ("FT123456") or, capitals, a space before them."""
_NINO_WRITTEN = re.compile(r"[A-Za-z]{2}[0-9]{6}[A-Da-d]|[A-Za-z]{2} [0-9]{2} [0-9]{2} [0-9]{2} ?[A-D]")
"""The two ways a NINO is written: "AB123456C" and "AB 12 34 56 C" (not "PN 320008A", a part number)."""
_ANY_SIX_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,3}[0-9]){5}")
"""Every shape above holds six digits within three characters of each other: a cheap test to run first."""


@dataclass(frozen=True, slots=True)
class IdSpan:
    """A national identity number at text[start:end]; bare when only its check digits speak for it."""

    start: int
    end: int
    bare: bool


_CHECKS = {
    "cpf": cpf_ok, "cnpj": cnpj_ok, "cnp": cnp_ok, "snils": snils_ok, "inn": inn_ok, "ssn": ssn_ok,
}
"""The check of each document a keyword names; a passport number is judged by its shape (passport_ok)."""


def _keyword_family(text: str, start: int) -> str | None:
    """The document a keyword right before text[start] names ("cpf", "inn", ...), if any."""
    match = _ID_CONTEXT.match(text[max(0, start - _CONTEXT_WINDOW) : start][::-1])
    return _FAMILY.get(match.group("keyword")[::-1].lower()) if match else None


_NEEDS_KEYWORD = frozenset({"cnpj", "spaced11", "spaced9", "passport", "passport_2_7", "bare", "lettered"})
_PASSPORT_SHAPES = frozenset({"passport", "passport_2_7", "bare"})
"""The digit-only shapes a passport number may have after a passport word."""


def may_name_a_document(text: str) -> bool:
    """Whether text holds a word some keyword of _KEYWORDS starts with (a cheap superset test)."""
    lowered = text.lower()
    return (
        "cpf" in lowered or "c.p.f" in lowered or "cnp" in lowered or "numeric" in lowered or "инн" in lowered
        or "inn" in lowered or "снилс" in lowered or "snils" in lowered or "страхов" in lowered
        or "паспорт" in lowered or "сери" in lowered or "passaport" in lowered or "passport" in lowered
        or "pasaport" in lowered or "pașaport" in lowered or "ssn" in lowered or "ss#" in lowered
        or "social security" in lowered or "soc sec" in lowered
    )


def _accept(match: re.Match[str], text: str, names_documents: bool) -> IdSpan | None:
    """The span of a candidate shape when its checks hold (with the keyword its shape needs)."""
    shape = match.lastgroup
    written = match.group()
    digits = written if shape == "bare" else "".join(char for char in written if "0" <= char <= "9")
    start, end = match.span()
    if shape == "dni":
        return IdSpan(start, end, False) if dni_ok(digits, written[-1]) else None
    if shape == "nie":
        prefix = _NIE_PREFIX.search(text, max(0, start - 2), start)
        if prefix is None or not nie_ok(prefix.group()[0], digits, written[-1]):
            return None
        return IdSpan(prefix.start(), end, False)
    if shape == "nino":
        prefix = _NINO_PREFIX.search(text, max(0, start - 3), start)
        if prefix is None or not nino_ok(prefix.group()[:2]) or not _NINO_WRITTEN.fullmatch(text, prefix.start(), end):
            return None
        return IdSpan(prefix.start(), end, False)
    if shape == "cpf":
        return IdSpan(start, end, False) if cpf_ok(digits) else None
    if shape == "snils":
        return IdSpan(start, end, False) if snils_ok(digits) else None
    if shape == "ssn":
        return IdSpan(start, end, False) if ssn_ok(digits) else None
    if shape == "cnpj" and "/" in written:
        return IdSpan(start, end, False) if cnpj_ok(digits) else None
    if shape == "lettered":
        return _lettered_passport(text, start, end, digits) if names_documents else None
    family = _keyword_family(text, start) if names_documents else None
    if family is None:
        if shape == "bare" and len(digits) == 13 and cnp_ok(digits):
            return IdSpan(start, end, True)
        return None
    if family == "passport":
        return IdSpan(start, end, False) if shape in _PASSPORT_SHAPES and passport_ok("", digits) else None
    if shape == "passport_2_7":
        return None
    return IdSpan(start, end, False) if _CHECKS[family](digits) else None


def _lettered_passport(text: str, start: int, end: int, digits: str) -> IdSpan | None:
    """The passport number of letters then text[start:end]'s digits, when a passport word stands before it."""
    prefix = _PASSPORT_PREFIX.search(text, max(0, start - 4), start)
    if prefix is None or not passport_ok(prefix.group().rstrip(), digits):
        return None
    if _keyword_family(text, prefix.start()) != "passport":
        return None
    return IdSpan(prefix.start(), end, False)


def national_id_spans(text: str) -> list[IdSpan]:
    """National identity numbers in text whose check digits hold, left to right, not overlapping."""
    dense = _ANY_SIX_DIGITS.search(text)
    if dense is None:
        return []
    found: list[IdSpan] = []
    position = dense.start()
    names_documents: bool | None = None
    while (match := _CANDIDATE.search(text, position)) is not None:
        if names_documents is None and match.lastgroup in _NEEDS_KEYWORD:
            names_documents = may_name_a_document(text)
        span = _accept(match, text, bool(names_documents))
        if span is not None:
            found.append(span)
            position = span.end
        else:
            position = match.start() + 1
    return found
