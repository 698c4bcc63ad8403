"""PII redaction of feedback text before storage: emails (spelled-out ones too), phone numbers, card numbers,
IBANs, national identity numbers, credentials written in the text, secrets in URLs.

Every detector is validated, not just pattern-matched: cards must pass Luhn, IBANs mod-97 with the
country's length, national identity numbers their check digits (causa.nlp.national_ids), phone numbers
must have a plausible shape for the countries causa serves (US/CA, Brazil, Portugal, Spain, Mexico,
Argentina, Colombia, Romania, Russia) or an explicit international prefix. Numbers that read as
order/ticket numbers, dates, times or amounts are left alone. Credentials and spelled-out addresses
("name at yahoo dot com") are found by causa.nlp.written_secrets.

Texts with no ASCII digit, no "@", no URL marker and none of the words a credential or a spelled-out
address starts from take a fast path that runs no regex at all.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from causa.nlp.keyword_context import reversed_context
from causa.nlp.national_ids import NATIONAL_ID, national_id_spans
from causa.nlp.written_secrets import CREDENTIAL, credential_spans, may_hold_written_secret, spelled_email_spans
from causa.nlp.word_lists import read_word_lists

logger = logging.getLogger(__name__)

EMAIL = "email"
PHONE = "phone"
CARD = "card"
IBAN = "iban"
URL_TOKEN = "url_token"

PLACEHOLDERS: dict[str, str] = {
    EMAIL: "[EMAIL]",
    PHONE: "[PHONE]",
    CARD: "[CARD]",
    IBAN: "[IBAN]",
    URL_TOKEN: "[TOKEN]",
    NATIONAL_ID: "[NATIONAL_ID]",
    CREDENTIAL: "[CREDENTIAL]",
}

# Higher wins when two findings overlap.
_PRIORITY: dict[str, int] = {URL_TOKEN: 7, EMAIL: 6, CREDENTIAL: 5, IBAN: 4, NATIONAL_ID: 3, CARD: 2, PHONE: 1}


@dataclass(frozen=True, slots=True)
class Redaction:
    """One placeholder; start and end are offsets in the redacted text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RedactedText:
    """A text with its PII replaced by placeholders, and where those placeholders are."""

    text: str
    redactions: tuple[Redaction, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The sorted unique kinds of PII found."""
        if not self.redactions:
            return ()
        return tuple(sorted({redaction.kind for redaction in self.redactions}))


# --------------------------------------------------------------------------- fast path

_DIGITS = frozenset("0123456789")
_NO_REDACTIONS: tuple[Redaction, ...] = ()


def _may_hold_pii(text: str, has_digit: bool) -> bool:
    """Cheap pre-check: only texts with a digit, an "@", a URL marker or a credential/spelled-address word
    can hold anything we redact."""
    return (
        has_digit or "@" in text or "://" in text or "www." in text or "WWW." in text or may_hold_written_secret(text)
    )


# --------------------------------------------------------------------------- URLs

_URL = re.compile(r"(?:\b(?:https?|ftps?)://|\bwww\.)[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]'\"*"
_CLOSERS = {")": "(", "]": "["}
_PLACEHOLDER_VALUES = frozenset(PLACEHOLDERS.values())
_PLACEHOLDER_TUPLE = tuple(_PLACEHOLDER_VALUES)
_URL_PARAM = re.compile(r"(?P<name>[^?&;#=/\s]+)=(?P<value>[^&;#\s]*)")
_SECRET_NAMES = frozenset(
    {
        "key", "sig", "pwd", "pass", "code", "otp", "sid", "jwt", "auth", "authorization", "pin",
        "hmac", "mfa", "2fa", "totp", "hash",
    }
)
_SECRET_PARTS = (
    "token", "secret", "passw", "signature", "apikey", "api_key", "api-key", "session",
    "credential", "accesskey", "access_key", "private_key", "auth_key", "authkey",
)
_EMAIL_PARAM_VALUE = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,63}", re.IGNORECASE)
_PHONE_PARAM_NAMES = frozenset(
    {"phone", "tel", "telephone", "mobile", "cell", "celular", "telefone", "telefono", "whatsapp"}
)
_PHONE_PARAM_VALUE = re.compile(r"\+?[0-9 ().%-]{7,24}")
_WHATSAPP_PATH = re.compile(r"(?<![\w-])wa\.me/(\+?[0-9]{7,15})(?![0-9])", re.IGNORECASE)


def _is_secret_name(raw_name: str) -> bool:
    """Whether a query/fragment parameter name looks like it carries a credential."""
    name = unquote(raw_name).strip().lower()
    if name in _SECRET_NAMES or name.endswith(("_key", "-key")):
        return True
    return any(part in name for part in _SECRET_PARTS)


def _url_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """URL extents (protected from number detectors) and the secret/PII spans inside them."""
    extents: list[tuple[int, int]] = []
    found: list[tuple[int, int, str]] = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            closer = text[end - 1]
            if closer == "]" and text.endswith(_PLACEHOLDER_TUPLE, start, end):
                break
            if closer in _CLOSERS and text.count(_CLOSERS[closer], start, end) >= text.count(closer, start, end):
                break
            end -= 1
        url = text[start:end]
        extents.append((start, end))
        authority_start = url.find("://")
        authority_start = authority_start + 3 if authority_start >= 0 else 0
        cut = len(url)
        for stop in "/?#":
            index = url.find(stop, authority_start)
            if index >= 0:
                cut = min(cut, index)
        at = url.rfind("@", authority_start, cut)
        if at >= 0:
            colon = url.find(":", authority_start, at)
            if 0 <= colon < at - 1 and url[colon + 1 : at] not in _PLACEHOLDER_VALUES:
                found.append((start + colon + 1, start + at, URL_TOKEN))
        whatsapp = _WHATSAPP_PATH.search(url, authority_start)
        if whatsapp:
            found.append((start + whatsapp.start(1), start + whatsapp.end(1), PHONE))
        query_start = min((i for i in (url.find("?", cut), url.find("#", cut)) if i >= 0), default=-1)
        if query_start < 0:
            continue
        for param in _URL_PARAM.finditer(url, query_start):
            value_start, value_end = param.span("value")
            if value_end == value_start or param.group("value") in _PLACEHOLDER_VALUES:
                continue
            name = param.group("name")
            value = param.group("value")
            if _is_secret_name(name):
                found.append((start + value_start, start + value_end, URL_TOKEN))
            elif _EMAIL_PARAM_VALUE.fullmatch(value):
                found.append((start + value_start, start + value_end, EMAIL))
            elif unquote(name).lower() in _PHONE_PARAM_NAMES and _PHONE_PARAM_VALUE.fullmatch(value):
                found.append((start + value_start, start + value_end, PHONE))
    return extents, found


# --------------------------------------------------------------------------- emails

_LOCAL_EXTRA = frozenset("._%+-")
_MAX_LOCAL = 256
_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])")


def _email_spans(text: str) -> list[tuple[int, int, str]]:
    """Email addresses, found around each "@" (linear in the text length)."""
    found: list[tuple[int, int, str]] = []
    at = text.find("@")
    floor = 0
    while at >= 0:
        start = at
        limit = max(floor, at - _MAX_LOCAL)
        while start > limit and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_EXTRA):
            start -= 1
        while start < at and text[start] == ".":
            start += 1
        local = text[start:at]
        domain = _DOMAIN.match(text, at + 1, min(len(text), at + 1 + 255)) if local else None
        if domain and any(char.isalnum() for char in local):
            found.append((start, domain.end(), EMAIL))
            floor = domain.end()
            at = text.find("@", floor)
        else:
            at = text.find("@", at + 1)
    return found


# --------------------------------------------------------------------------- IBANs

# Lengths from the SWIFT IBAN registry (plus a few widely used national extensions).
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    "AO": 25, "BF": 28, "BJ": 28, "CI": 28, "CM": 27, "CV": 25, "DZ": 26, "IR": 26, "MG": 27, "ML": 28,
    "MZ": 25, "SN": 28,
}
_IBAN_CANDIDATE = re.compile(r"(?<!\w)[A-Za-z]{2}[0-9]{2}(?:[ \u00a0-]?[A-Za-z0-9]){0,40}+")
_IBAN_MIN, _IBAN_MAX = 15, 34


def _mod97_ok(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    rearranged = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1
    except ValueError:
        return False


def _iban_spans(text: str) -> list[tuple[int, int, str]]:
    """IBANs, with or without spaces, accepted only at their country's length with a valid mod-97."""
    found: list[tuple[int, int, str]] = []
    match = _IBAN_CANDIDATE.search(text)
    while match is not None:
        start, stop = match.span()
        resume = start + 1  # the run may hold the next IBAN ("DE89 ... and GB82 ...")
        positions = [i for i in range(start, stop) if text[i].isalnum()]
        country = text[start : start + 2].upper()
        known = _IBAN_LENGTHS.get(country)
        if known is not None:
            lengths: Iterable[int] = (known,)
        elif text[start : start + 2].isupper():
            lengths = range(min(len(positions), _IBAN_MAX), _IBAN_MIN - 1, -1)
        else:
            lengths = ()
        for length in lengths:
            if length > len(positions):
                continue
            end = positions[length - 1] + 1
            if end < len(text) and text[end].isalnum():
                continue  # ends inside a group: not a whole IBAN
            candidate = "".join(text[i] for i in positions[:length]).upper()
            if _mod97_ok(candidate):
                found.append((start, end, IBAN))
                resume = end
                break
        match = _IBAN_CANDIDATE.search(text, resume)
    return found


# --------------------------------------------------------------------------- numbers: cards and phones

# A run of digit groups joined by one space, a dot or a dash (optionally spaced), or parentheses.
# Possessive quantifiers keep the scan linear; the validators below decide what a run contains.
# Where a run may start is decided in _number_spans (like a lookbehind, but aware of spans found so far).
_NUMBER_RUN = re.compile(
    r"(?P<plus>\+[ \u00a0]?)?"
    r"(?:\([0-9]++\)|[0-9]++)"
    r"(?:(?:[ \u00a0]?[.\-][ \u00a0]?|[ \u00a0])?(?:\([0-9]++\)|[0-9]++))*+"
)
_GROUP = re.compile(r"\(([0-9]+)\)|([0-9]+)")
_WORD_OR_PLUS = re.compile(r"[\w+]")
# Seven digits, each within five characters of the previous one: every phone, card and IBAN has such a chain
# (the widest gap inside a number run is ") - (").
_DENSE_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,5}[0-9]){6}")
_RUN_LEAD = 8  # how far before its first digit a run can start ("+ (")
_DIGIT_RUN = re.compile(r"[0-9]*")
_GLUED_AFTER = re.compile(
    r"\w|[.,/:-][0-9]|%|\.(?:jpe?g|png|gif|webp|pdf|txt|docx?|xlsx?|csv|html?|php|mp[34])\b", re.IGNORECASE
)
_MAX_GROUPS_PER_NUMBER = 8
_MIN_RUN_CHARS = 7

_CONTEXT_WORDS = read_word_lists("redaction_context")
ORDER_WORDS: tuple[str, ...] = tuple(word for words in _CONTEXT_WORDS["order_words"].values() for word in words)
"""Words before an order, ticket or booking number, in each supported language."""
ORDER_CONNECTORS: tuple[str, ...] = tuple(_CONTEXT_WORDS["order_connectors"])
PHONE_WORDS: tuple[str, ...] = tuple(_CONTEXT_WORDS["phone_words"])
PHONE_CONNECTORS: tuple[str, ...] = tuple(_CONTEXT_WORDS["phone_connectors"])


_ORDER_CONTEXT = reversed_context(ORDER_WORDS, ORDER_CONNECTORS, r":.#№º°\-", "#№")
_PHONE_CONTEXT = reversed_context(PHONE_WORDS, PHONE_CONNECTORS, r":.\-/", "")
_CURRENCY_BEFORE = re.compile(
    r"(?:R\$|US\$|\$|€|£|₽|¥|\b(?:usd|eur|brl|rub|ron|mxn|ars|cop|clp|pen|lei|руб))\s?$", re.IGNORECASE
)
_CURRENCY_AFTER = re.compile(
    r"\s?(?:€|\$|₽|%|руб|р\.|\b(?:rub|lei|ron|eur|euros?|usd|brl|d[oó]lares|dollars?|reais|real|pesos?|rublos?|"
    r"рублей|рубля|тыс|млн|млрд|mil|milh[õo]es|millones|million|billion|mii|milioane|"
    r"km|kg|mah|mha|rpm|mm|cm|gb|mb|kb|units|unidades|unități|штук|шт)\b)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")

_CC_NO_PLUS = frozenset({"1", "7", "34", "351", "40", "52", "54", "55", "56", "57", "51", "58", "373", "593", "598"})
_NATIONAL_11 = re.compile(
    r"0[0-9]{10}|1[2-9][0-9]{9}|[78][0-9]{10}|[1-9][1-9]9[0-9]{8}|34[6-9][0-9]{8}|40[237][0-9]{8}"
)
_NATIONAL_12_13 = re.compile(
    r"55[1-9][1-9]9?[0-9]{8}|351[29][0-9]{8}|5[247]9?[0-9]{10}|57[0-9]{10}|0[0-9]{11,12}"
)


@dataclass(slots=True)
class _Group:
    """One digit group of a number run: its extent in the text, its digits, and the separator before it."""

    start: int
    end: int
    digits: str
    paren: bool
    sep: str


def _luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number."""
    total = 0
    double = False
    for char in reversed(digits):
        value = ord(char) - 48
        if double:
            value *= 2
            if value > 9:
                value -= 9
        total += value
        double = not double
    return total % 10 == 0


def _groups(text: str, start: int, end: int) -> list[_Group]:
    """The digit groups of the run text[start:end], each with the separator text before it."""
    groups: list[_Group] = []
    previous = start
    for match in _GROUP.finditer(text, start, end):
        digits = match.group(1) or match.group(2)
        separator = text[previous : match.start()]
        groups.append(_Group(match.start(), match.end(), digits, match.group(1) is not None, separator))
        previous = match.end()
    return groups


def _card_prefix_ok(digits: str) -> bool:
    """Issuer plausibility by length: 13 Visa, 14 Diners, 15 Amex/UATP/enRoute, 16-19 Mir, MC, Visa, Elo, ..."""
    n = len(digits)
    if n == 13:
        return digits[0] == "4"
    if n == 14:
        return digits[0] == "3"
    if n == 15:
        return digits[0] in "123"
    return digits[0] in "23456"


def _is_card(groups: list[_Group]) -> bool:
    """13-19 digits, Luhn-valid, plausible issuer, written whole or in groups of 2-6 with one kind of separator."""
    digits = "".join(group.digits for group in groups)
    if not 13 <= len(digits) <= 19 or digits.count(digits[0]) == len(digits) or not _card_prefix_ok(digits):
        return False
    if len(groups) > 1:
        seps = {group.sep for group in groups[1:]}
        if len(seps) != 1 or seps.pop() not in (" ", "-", "\u00a0"):
            return False
        if any(group.paren for group in groups) or not all(2 <= len(group.digits) <= 6 for group in groups[:-1]):
            return False
        if len(groups[-1].digits) > 6:
            return False
    return _luhn_ok(digits)


def _looks_like_date(groups: list[_Group]) -> bool:
    """A dd.mm.yyyy, mm-dd-yy or yyyy-mm-dd style triple inside the groups (typo'd years included)."""
    for i in range(len(groups) - 2):
        a, b, c = groups[i].digits, groups[i + 1].digits, groups[i + 2].digits
        sep = groups[i + 1].sep.strip()
        if sep not in (".", "-") or groups[i + 2].sep.strip() != sep:
            continue
        if len(a) <= 2 and len(b) <= 2 and 2 <= len(c) <= 5:
            day_month = int(a) <= 31 and int(b) <= 31 and min(int(a), int(b)) <= 12
            if day_month:
                return True
        if len(a) == 4 and _YEAR.fullmatch(a) and len(b) <= 2 and len(c) <= 2 and int(b) <= 12:
            return True
    return False


def _looks_like_ip_or_decimal(groups: list[_Group], n: int) -> bool:
    """An IPv4 address ("153.69.214.203") or an amount with cents ("3400.00")."""
    if len(groups) == 4 and n != 9 and all(group.sep == "." for group in groups[1:]):
        if all(len(group.digits) <= 3 and int(group.digits) <= 255 for group in groups):
            return True
    last = groups[-1]
    return len(groups) > 1 and last.sep == "." and len(last.digits) == 2 and len(groups[-2].digits) >= 3 and (
        len(groups) == 2 or groups[-2].sep != "."
    )


def _looks_like_amount(groups: list[_Group]) -> bool:
    """Thousands grouping such as "15 000 000" or "1.234.567"."""
    if len(groups) < 3 or len(groups[0].digits) > 2:
        return False
    seps = {group.sep for group in groups[1:]}
    return len(seps) == 1 and seps.pop() in (" ", ".", "\u00a0") and all(len(group.digits) == 3 for group in groups[1:])


def _national_phone_ok(groups: list[_Group], digits: str) -> bool:
    """Plausible national (no "+") phone shapes for the countries causa serves."""
    n = len(digits)
    contiguous = len(groups) == 1
    if not contiguous:
        long_groups = [i for i, group in enumerate(groups) if len(group.digits) > 5]
        if len(long_groups) > 1 or (long_groups and (long_groups[0] != len(groups) - 1 or len(groups[-1].digits) > 9)):
            return False
    if not contiguous and all(len(group.digits) <= 2 for group in groups):
        return False  # "10 20 30 40 50": a list of small numbers
    if len(groups) == 2 and len(groups[0].digits) == 2 and groups[0].digits[0] == "0":
        return False  # "02-655373078": a B2W/Americanas order id; no trunk prefix is written that way
    first = digits[0]
    if n == 8:
        # "9834-6989" without area code: only the 5-4 mobile shape; "7000-7500" is a range (a keyword still wins)
        return len(groups) == 2 and groups[1].sep.strip() == "-" and len(groups[0].digits) == 5 and first == "9"
    if n == 9:
        return first in "26789" and not (contiguous and digits[:3] == "000")
    if n == 10:
        if first in "23456789":
            return True
        if first == "0":
            return digits[1] in "23456789"
        # "11 3123-4567" (area code 11) but not a 10-digit timestamp
        return not contiguous and len(groups[0].digits) == 2 and all(len(group.digits) >= 3 for group in groups[1:])
    if n == 11:
        return _NATIONAL_11.fullmatch(digits) is not None
    if n in (12, 13):
        if not contiguous and groups[0].digits in _CC_NO_PLUS:
            return True
        return _NATIONAL_12_13.fullmatch(digits) is not None
    return False


_NO_CONTEXT, _ORDER_WORD, _PHONE_WORD = 0, 1, 2
_CONTEXT_WINDOW = 48


def _keyword_context(text: str, start: int) -> int:
    """Whether an order-number or a phone keyword stands right before text[start]."""
    before = text[max(0, start - _CONTEXT_WINDOW) : start][::-1]
    if _ORDER_CONTEXT.match(before):
        return _ORDER_WORD
    if _PHONE_CONTEXT.match(before):
        return _PHONE_WORD
    return _NO_CONTEXT


def _is_phone(text: str, groups: list[_Group], plus: bool, start: int, end: int, context: int) -> bool:
    """Whether groups (text[start:end]) read as a phone number rather than an order number, date or amount."""
    digits = "".join(group.digits for group in groups)
    n = len(digits)
    if n < 7 or n > 15 or digits.count(digits[0]) == n:
        return False
    if plus:
        return n >= 8
    if context == _ORDER_WORD or _looks_like_date(groups) or _looks_like_ip_or_decimal(groups, n):
        return False
    if digits.startswith("00") and n >= 11:
        return True  # "0040 721 234 567": international prefix written as 00
    if context == _PHONE_WORD:
        return True
    if _looks_like_amount(groups) or _CURRENCY_BEFORE.search(text, max(0, start - 8), start):
        return False
    if _CURRENCY_AFTER.match(text, end, end + 16):
        return False
    return _national_phone_ok(groups, digits)


def _number_spans(text: str, blocked: _Intervals, position: int = 0) -> list[tuple[int, int, str]]:
    """Cards and phone numbers among the runs of digit groups from position on; blocked groups are skipped."""
    found: list[tuple[int, int, str]] = []
    found_end = -1  # a character before this index that belongs to a found number reads as a placeholder
    while (match := _NUMBER_RUN.search(text, position)) is not None:
        run_start, run_end = match.span()
        if not _may_start_run(text, run_start, found_end):
            position = run_start + 1 if text[run_start] in "+(" else _DIGIT_RUN.match(text, run_start).end()
            continue
        position = run_end
        if run_end - run_start < _MIN_RUN_CHARS:
            continue
        groups = _groups(text, run_start, run_end)
        if groups and _GLUED_AFTER.match(text, run_end):
            groups.pop()  # part of a word, a decimal, a time or a percentage
        if not groups:
            continue
        has_plus = match.group("plus") is not None
        taken = [blocked.hits(group.start, group.end) for group in groups]
        if all(taken):
            continue
        before = len(found)
        context = _NO_CONTEXT if has_plus or taken[0] else _keyword_context(text, groups[0].start)
        if context == _ORDER_WORD and 13 <= len(groups[0].digits) <= 15:
            taken[0] = True  # "protocolo 2018052896263": a 13-15 digit id that happens to pass Luhn
        _find_cards(groups, taken, found)
        if context != _ORDER_WORD:  # the whole run after "pedido", "заказ №" ... is the order number
            _find_phones(text, groups, taken, found, has_plus, run_start, context)
        if len(found) > before:
            found_end = max(end for _, end, _ in found[before:])
    return found


def _may_start_run(text: str, start: int, found_end: int) -> bool:
    """No word character or "+" right before, nor a digit and a joiner ("12/", "3."): not glued to something."""
    if start == 0 or start <= found_end:
        return True
    if _WORD_OR_PLUS.match(text, start - 1):
        return False
    return not (start >= 2 and start - 1 > found_end and text[start - 1] in ".,/:-" and "0" <= text[start - 2] <= "9")


def _digit_counts(groups: list[_Group]) -> list[int]:
    """Prefix sums of the groups' digit counts: groups[i:j] has counts[j] - counts[i] digits."""
    counts = [0]
    for group in groups:
        counts.append(counts[-1] + len(group.digits))
    return counts


def _find_cards(groups: list[_Group], taken: list[bool], found: list[tuple[int, int, str]]) -> None:
    """Luhn-valid card numbers among the groups not taken, longest first from the left."""
    i = 0
    count = len(groups)
    counts = _digit_counts(groups)
    while i < count:
        for j in range(min(count, i + _MAX_GROUPS_PER_NUMBER), i, -1):
            if not 13 <= counts[j] - counts[i] <= 19 or any(taken[i:j]):
                continue
            if _is_card(groups[i:j]):
                found.append((groups[i].start, groups[j - 1].end, CARD))
                for k in range(i, j):
                    taken[k] = True
                i = j
                break
        else:
            i += 1


def _find_phones(
    text: str,
    groups: list[_Group],
    taken: list[bool],
    found: list[tuple[int, int, str]],
    has_plus: bool,
    run_start: int,
    run_context: int,
) -> None:
    """Phone numbers among the groups not taken by a card; numbers split only at spaces.

    run_context is the keyword before the run: a keyword can only stand there, before a later group
    the text ends in digits.
    """
    count = len(groups)

    def boundary_before(k: int) -> bool:
        return k == 0 or taken[k - 1] or groups[k].paren or any(char.isspace() for char in groups[k].sep)

    counts = _digit_counts(groups)
    i = 0
    while i < count:
        if taken[i] or not boundary_before(i):
            i += 1
            continue
        context = run_context if i == 0 else _NO_CONTEXT
        for j in range(min(count, i + _MAX_GROUPS_PER_NUMBER), i, -1):
            if not 7 <= counts[j] - counts[i] <= 15 or any(taken[i:j]):
                continue
            if not (j == count or taken[j] or boundary_before(j)):
                continue
            plus = has_plus and i == 0
            start = run_start if plus else groups[i].start
            end = groups[j - 1].end
            if _is_phone(text, groups[i:j], plus, start, end, context):
                found.append((start, end, PHONE))
                i = j
                break
        else:
            i += 1


# --------------------------------------------------------------------------- assembly


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """text with every span overwritten by "]" characters (same length, so offsets still hold)."""
    if not spans:
        return text
    pieces: list[str] = []
    position = 0
    for start, end, _ in sorted(spans):
        if start < position:
            start = position
        if end <= start:
            continue
        pieces.append(text[position:start])
        pieces.append("]" * (end - start))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


class _Intervals:
    """Disjoint sorted half-open intervals with logarithmic overlap queries."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def hits(self, start: int, end: int) -> bool:
        """Whether [start, end) intersects one of the intervals."""
        index = bisect_left(self.starts, end) - 1
        return index >= 0 and self.ends[index] > start

    def add(self, start: int, end: int) -> None:
        """Add an interval known not to intersect the others."""
        index = bisect_left(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)


def redact(text: str) -> RedactedText:
    """Replace emails, phone numbers, card numbers, IBANs, national ids, credentials and URL secrets by placeholders."""
    if not isinstance(text, str):
        raise TypeError(f"redact() expects str, got {type(text).__name__}")
    has_digit = not _DIGITS.isdisjoint(text)
    if not _may_hold_pii(text, has_digit):
        return RedactedText(text, _NO_REDACTIONS)
    return _redact(text, has_digit)


def _redact(text: str, has_digit: bool) -> RedactedText:
    """The slow path of redact(), for texts that passed the pre-check."""
    candidates: list[tuple[int, int, str]] = []
    url_extents: list[tuple[int, int]] = []
    if "://" in text or "www." in text.lower():
        url_extents, url_found = _url_spans(text)
        candidates.extend(url_found)
    if "@" in text:
        candidates.extend(_email_spans(text))
    # Later detectors see found spans as "]" runs, as a second pass would see the placeholders.
    in_urls = _Intervals(url_extents)
    if may_hold_written_secret(text):
        masked = _mask(text, candidates)
        written = credential_spans(masked) + [(start, end, EMAIL) for start, end in spelled_email_spans(masked)]
        candidates.extend(span for span in written if not in_urls.hits(span[0], span[1]))
    if has_digit:
        masked = _mask(text, candidates)
        dense = _DENSE_DIGITS.search(masked)
        if dense is not None:
            candidates.extend(span for span in _iban_spans(masked) if not in_urls.hits(span[0], span[1]))
            masked = _mask(text, candidates)
        national_ids = [
            (span.start, span.end, NATIONAL_ID)
            for span in national_id_spans(masked)
            if not in_urls.hits(span.start, span.end)
            and not (span.bare and _keyword_context(masked, span.start) == _ORDER_WORD)
        ]
        if national_ids:
            candidates.extend(national_ids)
            masked = _mask(text, candidates)
        if dense is not None:
            blocked = _Intervals(url_extents + [(start, end) for start, end, _ in candidates])
            candidates.extend(_number_spans(masked, blocked, max(0, dense.start() - _RUN_LEAD)))
    if not candidates:
        return RedactedText(text, _NO_REDACTIONS)

    kept = _Intervals()
    accepted: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(candidates, key=lambda span: (-_PRIORITY[span[2]], span[0])):
        if not kept.hits(start, end):
            kept.add(start, end)
            insort(accepted, (start, end, kind))

    pieces: list[str] = []
    redactions: list[Redaction] = []
    position = 0
    out_length = 0
    for start, end, kind in accepted:
        between = text[position:start]
        placeholder = PLACEHOLDERS[kind]
        pieces.append(between)
        pieces.append(placeholder)
        out_length += len(between)
        redactions.append(Redaction(kind, out_length, out_length + len(placeholder)))
        out_length += len(placeholder)
        position = end
    pieces.append(text[position:])
    return RedactedText("".join(pieces), tuple(redactions))


def redact_many(texts: Iterable[str]) -> list[RedactedText]:
    """redact() over many texts; texts that cannot hold PII skip every regex."""
    results: list[RedactedText] = []
    append = results.append
    no_digits = _DIGITS.isdisjoint
    may_hold = _may_hold_pii
    for text in texts:
        if text.__class__ is not str:
            append(redact(text))  # str subclasses, or a TypeError
            continue
        has_digit = not no_digits(text)
        if may_hold(text, has_digit):
            append(_redact(text, has_digit))
        else:
            append(RedactedText(text, _NO_REDACTIONS))
    if logger.isEnabledFor(logging.DEBUG):
        redacted = sum(1 for result in results if result.redactions)
        logger.debug("redacted PII in %d of %d texts", redacted, len(results))
    return results
