"""Personal data written out in words: credentials ("my password is ...", "senha: ...", "PIN 1234", "CVV 123")
and email addresses spelled to dodge filters ("name(at)gmail.com", "name at yahoo dot com", "имя собака mail точка ru").

Both are found in text already masked by the other detectors (found spans read as "]" runs), so a value that
is a placeholder or an address found before is never taken again. may_hold_written_secret is the cheap test
that decides whether a text without digits, "@" or URLs needs these detectors at all.
"""

from __future__ import annotations

import re

CREDENTIAL = "credential"

# --------------------------------------------------------------------------- the cheap test

def may_hold_written_secret(text: str) -> bool:
    """Whether text holds a word a credential or a spelled-out email address starts from (a superset test).

    A chain of substring tests on the lowercased text: several times cheaper than one regex search.
    """
    lowered = text.lower()
    return (
        "@" in lowered or " at " in lowered or "pass" in lowered or "pin" in lowered or "senha" in lowered
        or "contras" in lowered or "parol" in lowered or "пароль" in lowered or "пин" in lowered
        or "cvv" in lowered or "cvc" in lowered or "clave" in lowered or "pwd" in lowered or "(at)" in lowered
        or "[at]" in lowered or "{at}" in lowered or "<at>" in lowered or "arob" in lowered or "arond" in lowered
        or "arroba" in lowered or "собак" in lowered or "segur" in lowered or "securit" in lowered
        or "безопасн" in lowered
    )


# --------------------------------------------------------------------------- credentials

_PASSWORD_WORDS = (
    "password", "passwords", "passwd", "pwd", "passcode", "pass code", "senha", "senhas", "palavra-passe",
    "palavra passe", "contraseña", "contrasena", "contraseñas", "clave", "parola", "parolă", "parolei", "parole",
    "пароль", "пароля", "паролем", "пароли",
)
_PIN_WORDS = (
    "pin", "pin code", "pin-code", "pincode", "pin-ul", "pinul", "pin-код", "пин", "пин-код", "пин код", "пинкод",
)
_CVV_WORDS = (
    "cvv", "cvv2", "cvc", "cvc2", "cvv/cvc", "cvv-код", "security code", "código de segurança",
    "codigo de seguranca", "código de seguridad", "codigo de seguridad", "cod de securitate",
    "codul de securitate", "код безопасности",
)


def _alternation(words: tuple[str, ...]) -> str:
    """A regex alternation of words, longest first, a space matching any whitespace."""
    return "|".join(re.escape(word).replace(r"\ ", r"\s") for word in sorted(words, key=len, reverse=True))


_CREDENTIAL_WORD = re.compile(
    rf"(?<!\w)(?:(?P<password>{_alternation(_PASSWORD_WORDS)})|(?P<pin>{_alternation(_PIN_WORDS)})"
    rf"|(?P<cvv>{_alternation(_CVV_WORDS)}))(?!\w)",
    re.IGNORECASE,
)
_VALUE = r"(?P<quote>[\"'«“‘`]?)(?P<value>[^\s\"'«»“”‘’`]{1,64})"
_NOUN_AND_POSSESSIVE = (
    r"(?:\s+(?:number|no|número|numero|numărul|numarul|номер|code|código|codigo|codul|cod|код))?"
    r"(?:\s+(?:mea|mía|mia|minha|мой))?"
)
_FILLER = r"(?:(?:\s+[^\s:=\"'«“—–?!.-]+){1,3}?)??"
"""Up to three words between a credential's name and its connector, as few as possible ("for my account")."""
# "password: ...", "senha do app é ...", "пароль от почты — ...": an explicit connector, up to three words before it.
_TAIL_EXPLICIT = re.compile(
    _NOUN_AND_POSSESSIVE + _FILLER +
    r"(?:\s*[:=]\s*|\s+[-–—]\s+|\s+(?:is|was|é|era|es|este|это)(?:\s*:)?\s+)" + _VALUE,
    re.IGNORECASE,
)
# "changed my password to ...", "troquei a senha para ...", "сменил пароль на ...", "senha e 1234" (é unaccented).
_TAIL_CHANGED_TO = re.compile(_NOUN_AND_POSSESSIVE + r"\s+(?:to|into|para|a|e|en|în|in|на)\s+" + _VALUE, re.IGNORECASE)
_TAIL_PLAIN = re.compile(_NOUN_AND_POSSESSIVE + r"\s+" + _VALUE, re.IGNORECASE)
# "senha do cartão 1234", "пин-код от карты 1234": a few words, then a PIN-like number.
_TAIL_DIGITS_AFTER_WORDS = re.compile(
    _NOUN_AND_POSSESSIVE + r"(?:\s+[^\s:=\"'«“—–-]+){1,2}?\s+(?P<quote>)(?P<value>[0-9]{4,8})(?![\w.,/-][0-9])"
)
_VALUE_TRAILING = ".,;:!?)]}»”’\"'"
_NOT_SECRET = frozenset(
    """
    not no none nothing wrong incorrect correct invalid valid expired blocked locked reset changed the a an my your
    too very still now being been also case same different new old weak strong required ok fine right there here
    saved visible shown displayed sent missing empty long short simple easy hard always never working accepted
    rejected asked requested needed useless forgotten lost stolen complicated secure safe weird annoying
    meio bem mal fácil facil difícil dificil complicada complicado simples segura seguro curta longa grande pequena
    igual necessária necessaria obrigatório onde que quando como
    fácil difícil segura larga corta obligatoria igual donde cuando
    ușoară usoara grea sigură sigura lungă lunga scurtă scurta unde când cand cum
    сложный простой длинный короткий нужен нужна где когда как
    não nao errada errado incorreta incorreto correta correto inválida invalida válida valida expirada bloqueada
    bloqueado o da do de minha meu sua seu nova novo antiga mesma diferente muito ainda já ja foi está esta fraca
    forte sempre nunca pedida obrigatória obrigatoria enviada trocada alterada redefinida aceita recusada
    incorrecta incorrecto correcta correcto errónea erronea caducada la el mi tu su nueva nuevo antigua misma
    distinta muy todavía todavia ya fue débil debil fuerte siempre obligatoria cambiada aceptada rechazada
    nu greșită gresita greşită incorectă incorecta corectă corecta invalidă validă expirată expirata blocată blocata
    mea ta sa noua nouă veche aceeași aceeasi diferită diferita foarte încă inca deja e este schimbată schimbata
    resetată resetata trimisă trimisa acceptată acceptata greu simplă simpla tot
    не неверный неверен неправильный правильный верный недействителен устарел заблокирован мой твой ваш новый
    старый тот же слишком очень ещё еще уже был была сброшен изменён изменен отправлен принят подходит приходит
    пришёл пришел для от к на в простой сложный всегда никогда забыл забыла
    """.split()
)
_WORDLIKE_ENDINGS = (
    "ed", "ing", "ly", "ado", "ada", "ido", "ida", "ados", "adas", "idos", "idas", "ată", "ate", "ită", "ый", "ий",
    "ой", "ен", "ена", "ан", "ана", "ит", "ет", "ал", "ала",
)
_PIN_DIGITS = range(4, 9)
_CVV_DIGITS = range(3, 5)


def _looks_like_secret(value: str) -> bool:
    """A digit, a symbol, or mixed case after the first letter ("hUnter", not "NÃO"): not a dictionary word."""
    if any(not char.isalpha() and char not in "-'" for char in value):
        return True
    return any(char.isupper() for char in value[1:]) and any(char.islower() for char in value)


def _reads_as_word(value: str) -> bool:
    """A lowercase word that says something about the password rather than being one ("wrong", "expirada")."""
    lowered = value.lower()
    return value.isalpha() and (lowered in _NOT_SECRET or (value.islower() and lowered.endswith(_WORDLIKE_ENDINGS)))


def _credential_value(kind: str, match: re.Match[str], explicit: bool) -> tuple[int, int] | None:
    """The span of the value after a credential word, when it reads as one."""
    value = match.group("value")
    start = match.start("value")
    stripped = value.rstrip(_VALUE_TRAILING)
    if not stripped or "]" in stripped or "[" in stripped:
        return None
    end = start + len(stripped)
    if kind == "pin":
        return (start, end) if stripped.isdigit() and len(stripped) in _PIN_DIGITS else None
    if kind == "cvv":
        return (start, end) if stripped.isdigit() and len(stripped) in _CVV_DIGITS else None
    if match.group("quote"):
        return start, end
    if _reads_as_word(stripped):
        return None
    return (start, end) if explicit or _looks_like_secret(stripped) else None


_TAILS = ((_TAIL_EXPLICIT, True), (_TAIL_CHANGED_TO, False), (_TAIL_PLAIN, False), (_TAIL_DIGITS_AFTER_WORDS, False))
"""How a value can follow a credential word, and whether the connector names it as the value."""


def credential_spans(text: str) -> list[tuple[int, int, str]]:
    """Passwords, PINs and card security codes written after their name."""
    found: list[tuple[int, int, str]] = []
    for word in _CREDENTIAL_WORD.finditer(text):
        kind = word.lastgroup or "password"
        span = None
        for tail_pattern, explicit in _TAILS:
            tail = tail_pattern.match(text, word.end())
            if tail is not None and (span := _credential_value(kind, tail, explicit)) is not None:
                break
        if span is not None and (not found or span[0] >= found[-1][1]):
            found.append((span[0], span[1], CREDENTIAL))
    return found


# --------------------------------------------------------------------------- spelled-out email addresses

_AT_WORDS = r"at|@|arroba|arobase|arond|собака|сабака"
_DOT_WORDS = r"dot|ponto|punto|punct|точка|тчк"
_AT_MARKER = re.compile(
    rf"(?P<bracketed>\s*[(\[{{<]\s*(?:{_AT_WORDS})\s*[)\]}}>]\s*)|(?P<spaced>\s+(?:{_AT_WORDS})\s+)|(?P<glued>@)",
    re.IGNORECASE,
)
_SPELLED_DOT = rf"\s*[(\[{{<]\s*(?:{_DOT_WORDS}|\.)\s*[)\]}}>]\s*|\s+(?:{_DOT_WORDS})\s+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(
    rf"(?P<first>{_LABEL})(?P<rest>(?:(?:\.|{_SPELLED_DOT}){_LABEL})+)(?![\w-])(?!\.[a-z0-9])", re.IGNORECASE
)
_LAST_LABEL = re.compile(rf"(?:\.|{_SPELLED_DOT})(?P<tld>{_LABEL})$", re.IGNORECASE)
_DOT_BEFORE = re.compile(rf"(?:{_SPELLED_DOT})$", re.IGNORECASE)
_LOCAL_EXTRA = frozenset("._%+-")
_MAX_LOCAL = 64
_COMMON_TLDS = frozenset(
    """
    com net org info biz edu gov io co me us uk ca au de fr it nl be ch at pl cz eu ru su by ua kz md ro br pt es
    mx ar cl pe uy py bo ve ec cu do gt hn sv ni cr pa pr
    """.split()
)
_MAIL_PROVIDERS = frozenset(
    """
    gmail googlemail yahoo ymail rocketmail hotmail outlook live msn icloud aol proton protonmail pm gmx web mail
    yandex ya rambler bk list inbox uol bol terra ig globo zoho yopmail tutanota
    """.split()
)


def _local_start(text: str, end: int) -> int:
    """Where the local part that ends at text[end] starts, spelled dots included ("john dot smith")."""
    start = end
    while True:
        word_end = start
        limit = max(0, start - _MAX_LOCAL)
        while start > limit and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_EXTRA):
            start -= 1
        while start < word_end and text[start] == ".":
            start += 1
        if start == word_end:
            return word_end
        dot = _DOT_BEFORE.search(text, max(0, start - 16), start)
        if dot is None or dot.start() == 0 or not text[dot.start() - 1].isalnum():
            return start
        start = dot.start()


def spelled_email_spans(text: str) -> list[tuple[int, int]]:
    """Email addresses with "@" or "." written as words or in brackets, accepted by the domain they name."""
    found: list[tuple[int, int]] = []
    position = 0
    while (marker := _AT_MARKER.search(text, position)) is not None:
        position = marker.end()
        domain = _DOMAIN.match(text, marker.end())
        if domain is None:
            position = marker.start() + 1
            continue
        start = _local_start(text, marker.start())
        if start == marker.start() or not any(char.isalnum() for char in text[start : marker.start()]):
            continue
        rest = domain.group("rest")
        spelled_dot = any(not (char.isalnum() or char in ".-") for char in rest)
        tld_match = _LAST_LABEL.search(rest)
        tld = tld_match.group("tld").lower() if tld_match else ""
        if not tld.isalpha():
            continue
        if marker.lastgroup == "bracketed":
            accepted = 2 <= len(tld) <= 24
        elif marker.lastgroup == "glued":
            accepted = spelled_dot and tld in _COMMON_TLDS
        elif marker.group().strip().lower() == "at":
            # "at" is a common word: the domain must be a mail provider's, or the address must look made up
            # ("j.doe at company dot com", "john AT company DOT com"), not "was at home dot com".
            provider = domain.group("first").lower() in _MAIL_PROVIDERS
            local = text[start : marker.start()]
            written = marker.group().strip() == "AT" or any(not char.isalpha() for char in local)
            accepted = tld in _COMMON_TLDS and (provider or (spelled_dot and written))
        else:
            accepted = tld in _COMMON_TLDS
        if accepted:
            found.append((start, domain.end()))
            position = domain.end()
    return found
