"""Language identification restricted to the supported languages (en, pt, es, ro, ru).

A fast hybrid. Most texts are decided in pure Python from cheap evidence:

1. script: Cyrillic text is Russian unless it carries letters Russian does not have
   (Ukrainian і ї є ґ, Serbian/Macedonian ј љ њ ..., Kazakh ә қ ...) or Bulgarian cues;
   text mostly in another script (CJK, Arabic, Greek, Hebrew, ...) is "other";
2. letters that mark a language (ă ș ț for Romanian, ã õ for Portuguese, ñ ¿ ¡ for Spanish,
   ß ł ğ å ... for languages we do not support);
3. function words: each token is scored against per-language word lists (a curated list of
   the most frequent words per language plus spaCy's stop words), a word's weight being
   shared among the languages that use it.

Texts these signals leave ambiguous (few words, close scores, for instance pt/es/gl/ca or
ro/it) go to lingua, built once, lazily, for the five languages and a few confusable ones
(mapped to "other"). Texts with too few letters, or where lingua is unsure, get the
fallback language.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from causa.nlp.taxonomy import OTHER_LANGUAGE, SUPPORTED_LANGUAGES

if TYPE_CHECKING:  # pragma: no cover
    import lingua

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# Tunables. Scores are in "distinctive function word" units: a curated word only one
# language uses counts 1, a word several languages use is shared among them.

#: Only this many characters of a text are looked at (long reviews are decided early on).
MAX_CHARS = 300
#: Fewer letters than this (after removing URLs, mentions, digits, emoji): fallback.
MIN_LETTERS = 3
#: Texts of fewer words than this that the fast path cannot place get the fallback.
MIN_WORDS = 2
#: A language wins outright with a score of at least MIN_SCORE_LOW and at least
#: MIN_RATIO_LOW times the runner-up's ...
MIN_SCORE_LOW = 1.0
MIN_RATIO_LOW = 3.0
#: ... or, with at least MIN_SCORE (or in texts of at most SHORT_TEXT_WORDS words:
#: "thanks", "obrigado"), MIN_RATIO times the runner-up's ...
MIN_SCORE = 1.5
SHORT_TEXT_WORDS = 3
MIN_RATIO = 2.0
#: ... and at least this much more than the runner-up.
MIN_MARGIN = 0.75
#: For ambiguous texts lingua's confidence in a language is multiplied by
#: exp(LINGUA_SCORE_WEIGHT * the language's score) ...
LINGUA_SCORE_WEIGHT = 1.0
#: ... and by this for the supported languages, which is what feedback is mostly written in;
SUPPORTED_PRIOR = 2.0
#: the best language must come out this many times as likely as the runner-up, or the
#: text gets the fallback.
MIN_LINGUA_RATIO = 1.5
#: Weight of a spaCy stop word that is not in the curated list of its language.
EXTENDED_WEIGHT = 0.5

# ---------------------------------------------------------------------------------------
# Curated function words: the most frequent, most telling words of each language, written
# with and without diacritics where people drop them. Shared words are fine: weights
# are divided among the languages that use a word.

_CORE_WORDS: dict[str, str] = {
    "en": """
        the and to of in on at for with from by about as is are was were be been being am
        have has had do does did done i you he she it we they me my your our their his her
        its them us this that these those what which who whom when where why how not no so
        if just can will would could should get got now there here all any some more very
        out up than then only still again thanks thank please never ever after over into
        don didn doesn isn wasn aren weren won ll ve re im dont didnt cant wont doesnt isnt
        ur thx pls lol omg because been being really cannot yet even though also too way
        going gonna want need know like today tomorrow yesterday hours hour minutes while
        every off since until much many other another first last well great good bad worst
        best love hate help anyone someone something nothing everything always again said
        told make made take took give gave time day
    """,
    "pt": """
        de a o que e do da em um uma para com não nao os as no na por mais mas foi ao dos
        das nos nas como muito muita muitos muitas já ainda eu você voce vc ele ela meu
        minha seu sua isso isto esse essa este aqui quando porque pois até ate sem também
        tambem só bem pelo pela pelos pelas tem têm tinha é são sao estou está estava ser
        fazer produto entrega chegou comprei recomendo ótimo otimo bom boa péssimo pessimo
        gostei veio dia dias prazo mesmo agora nada nem então entao depois antes ou lhe
        nós eles elas aos num numa quem qual onde cada outro outra tudo todo toda todos
        pouco melhor pior obrigado obrigada vou vai pra pro pq tb tbm né tô aí lá coisa sim
        certeza compra loja site qualidade preço preco funciona recebi ficou pedido apenas
        valor atendimento consegui estão estao tenho fiquei achei nunca sempre ninguém
        ninguem nenhum nenhuma alguma algum vcs cê deu dessa desse disso nesse nessa
        nisso meus minhas seus suas seja sido sendo foram eram fui estar tive teve
    """,
    "es": """
        de la que el en y a los se del las un por con no una su para es al lo como más mas
        pero sus le ya o fue este ha sí si porque esta son entre cuando muy sin sobre
        también tambien me hasta hay donde quien desde todo nos durante todos uno les ni
        contra otros ese eso ante ellos esto antes algunos qué unos yo otro otras otra él
        tanto esa estos mucho muchos nada muchas cual poco ella estar estas algo mi mis tú
        te ti tu tus usted ustedes estoy está estaba tengo tiene tienen había hace hacer
        puede pueden bien así asi aquí aqui ahora nunca siempre gracias pedido producto
        llegó llego compré compre recomiendo bueno buena malo mala pésimo pesimo vez hoy
        ayer días dias nadie todavía todavia aún aun ningún ningun ninguna solo sólo pues
        luego entonces después despues aunque mejor peor xq jaja jajaja vale hola muchísimo
        han he hemos llevo sigo sido están estan dijeron dicen nuestro nuestra vuestra
        calidad precio tienda servicio atención atencion envío envio semana mes años dinero
        funciona funcionan encanta gusta gustó gusto quiero
    """,
    "ro": """
        și si în in la de pe cu nu să sa că ca a am ai are au este e sunt era fost fi o un
        unei unui mai foarte dar din care ce cel cea cei cele când cand pentru pt sau ori
        asa așa doar deja încă inca acum tot toate toți toti nici niciun nicio bine decât
        decat după dupa prin într intr între intre către catre fără fara cum unde acest
        această aceasta acesta aceste acești acesti acel acea aici ceva nimic poate trebuie
        avea avut face făcut facut mi îmi imi ma mă îl il lui ei lor meu mea mele mei tău
        tau său nostru noastră noastra ați ati aș ar vor va noi eu tu el ea ele dacă daca
        până pana fiind produsul produs comanda comandă recomand multumesc mulțumesc
        mulțumit multumit mulțumită multumita calitate calitatea pret preț pretul prețul
        banii bani bun buna bună zi zile azi ieri mâine maine deloc prea mult multa
        multă putin puțin chiar totusi totuși însă insa iar dintr despre fata față sunt
        primit livrat livrare functioneaza funcționează merge aveam avem aveti
        aveți fie ne vă va-ti sa-mi mi-a nu-mi dat luat pus venit cumparat cumpărat
        pacat păcat dezamagit dezamăgit recomandat vreau ceea acelasi același altceva
    """,
    "fr": """
        le la les de des du un une et est en que qui pas ne je il elle nous vous ils elles
        on ce cette ces pour dans sur avec par au aux mais ou où très tres plus tout tous
        toute toutes bien mon ma mes son sa ses leur leurs votre vos notre nos été être
        avoir ai avez avons ont fait faire sont était etait merci bonjour aussi comme
        encore jamais rien toujours déjà après apres avant car donc alors quand si ça
        produit commande livraison reçu recu chez sans moi toi lui eux même meme peu trop
        beaucoup aucun aucune qu c'est j'ai n'est d'un d'une l'on cest jai suis es êtes
        vraiment depuis pourquoi comment quoi ici parce
    """,
    "it": """
        il di che è e la per un una non in sono mi ho lo ma ha le si con cosa se io come da
        ti questo qui hai bene del della dei delle degli gli al alla allo ai nel nella nei
        sul sulla anche più piu molto ancora già gia sempre mai tutto tutti perché perche
        quando dove chi solo poi essere stato stata fatto fare grazie prodotto ordine
        consegna ottimo buono niente nulla nessun nessuno ci vi ne noi voi loro mio mia
        suo sua questa quello quella sia dopo prima ora oggi ieri troppo poco abbiamo
        hanno siamo avevo ero era erano dal dalla dallo sono stati però pero quindi ecco
        proprio davvero invece
    """,
    "de": """
        der die das und ist nicht ich sie es ein eine einen einem einer zu den dem des mit
        von auf für fur im in an auch sich wir ihr du er war hat haben habe wird werden
        wurde sind bin bei aus nach noch nur wie was aber oder wenn dass daß so sehr schon
        kein keine keinen mein meine dein ihre hier jetzt immer mehr man mir mich dir uns
        um bis vom zum zur gut danke bitte ganz wieder heute über doch mal leider nichts
        etwas diese dieser dieses weil kann können müssen muss wirklich
    """,
    "nl": """
        de het een en van ik te dat die in is niet je op met voor zijn er maar om ook als
        dan bij nog wat was of uit aan naar heb hebben heeft wel geen kan dit deze mijn
        jullie we wij zij hij ze u uw al door over meer nu zo hier daar nooit altijd heel
        erg goed bedankt dank waarom hoe toen werd wordt worden zou kunnen moet gewoon
        niks iets echt
    """,
    "ca": """
        el la els les de del dels i a que en un una és es per amb no al als com més mes
        però pero hi ho ha han he seu seva aquest aquesta aquests això aixo molt molta
        també tambe perquè perque quan on tot tots totes jo tu ell ella nosaltres
        vosaltres ells elles em et ens us li meu meva teu teva nostre són era estat estic
        està fer fet tinc té res ja encara mai sempre gràcies gracies bon bona dia avui
        ahir sense sobre entre cap mateix aquí doncs llavors gaire vull puc pot
    """,
    "gl": """
        o a os as de do da dos das e en no na nos nas un unha unhas que non con por polo
        pola polos polas para é foi son ser máis mais moi moito moita moitos tamén tamen xa
        aínda cando onde porque pero se como este esta isto iso eu ti el ela nós eles elas
        meu miña teu túa seu súa ao ás coa co cos coas nun nunha ten teño hai aquí agora
        sempre nunca grazas ben mellor algo nada ningún ningunha todo todos xente facer
        dende estou está estaba foron vostede ninguén servizo cousa cousas dixo fai
        ademais quero queremos outro outra vez
    """,
    "tr": """
        ve bir bu da de için ile çok ama ne değil var yok gibi daha mi mı mu mü ben sen biz
        siz onlar şu her kadar sonra önce hiç kimse hala hâlâ ürün sipariş teşekkürler
        teşekkür ederim olarak olan oldu olmadı değildi diye neden nasıl şey
    """,
    "ru": """
        и в не на я что он с как а то все это она так его но ты к у же вы за бы по только
        ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже
        или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей
        может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего
        раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь
        этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при
        наконец два об другой хоть после над больше тот через эти нас про всего них какая
        много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том
        нельзя такой им более всегда конечно всю между очень спасибо сегодня вчера просто
        почему который которые
    """,
    "uk": """
        і в не на я що він з як а то все це вона так його але ти до у же ви за б по тільки
        її мені було ось від мене ще ні о із йому тепер коли навіть чи якщо вже або бути
        був нього вас вам там потім себе нічого їй може вони тут де є треба ній для ми
        тебе їх ніж була сам без чого раз теж собі під буде тоді хто цей того тому цього
        який зовсім ним тут цьому один майже мій тим щоб зараз були куди навіщо всіх
        ніколи можна після більше через ці нас про них яка багато дуже дякую сьогодні
        вчора просто чому який які також та й
    """,
    "bg": """
        и в не на аз че той с като а то всичко това тя така го но ти към у же вие за би по
        само ѝ ми беше ето от мен още няма о из му сега когато дори ли ако вече или ни бъде
        него до вас там после себе си нищо може тук където има трябва нея ние теб тях
        отколкото сам без защо също под ще тогава този затова какъв съвсем един почти моя
        бяха къде всички никога повече през тези нас каква много три тази моята винаги
        разбира между благодаря днес вчера просто които който която което съм сме сте са
        със във добре лошо
    """,
}

# spaCy stop-word lists used besides the curated ones (Latin-script languages we do not
# support are recognised by them). Cyrillic languages use only letters and curated words:
# the Ukrainian and Bulgarian lists hold many words spelt alike in Russian ("день", "дни").
_SPACY_LANGUAGES: tuple[str, ...] = (
    "en", "pt", "es", "ro", "fr", "it", "de", "nl", "ca",
    "pl", "tr", "sv", "da", "nb", "cs", "sk", "hu", "fi", "id", "hr", "sl", "sq", "lv",
    "lt", "et", "eu", "tl", "af", "ga",
)  # fmt: skip

# Letters that point to a language. Each occurrence of a letter adds its weight (capped
# per letter), so one stray accent does not outweigh the words.
_LETTER_HINTS: dict[str, dict[str, float]] = {
    # Romanian (comma below and the older cedilla forms; ş is Turkish too)
    "ă": {"ro": 2.0},
    "ș": {"ro": 2.0},
    "ț": {"ro": 2.0},
    "ţ": {"ro": 2.0},
    "ş": {"ro": 1.0, "tr": 1.0},
    "î": {"ro": 0.7, "fr": 0.3},
    "â": {"ro": 0.5, "pt": 0.3, "fr": 0.3},
    # Portuguese
    "ã": {"pt": 2.0},
    "õ": {"pt": 2.0},
    "ç": {"pt": 0.6, "fr": 0.5, "ca": 0.5, "tr": 0.3},
    "ê": {"pt": 0.6, "fr": 0.5},
    "ô": {"pt": 0.5, "fr": 0.5},
    # Spanish
    "ñ": {"es": 2.0, "gl": 0.3},
    "¿": {"es": 2.0},
    "¡": {"es": 2.0},
    # Romance languages we do not support
    "è": {"fr": 0.6, "it": 0.6, "ca": 0.6},
    "ò": {"it": 0.6, "ca": 0.6},
    "ù": {"fr": 0.6, "it": 0.6},
    "ì": {"it": 0.8},
    "ë": {"fr": 0.5, "nl": 0.3, "sq": 0.8},
    "œ": {"fr": 1.5},
    "û": {"fr": 1.0},
    "ï": {"fr": 0.5, "ca": 0.5, "nl": 0.3},
    "·": {"ca": 1.0},
    # Germanic and others
    "ß": {"de": 2.0},
    "ä": {"de": 1.0, "sv": 0.5, "fi": 0.8, "et": 0.5, "sk": 0.3},
    "ö": {"de": 1.0, "sv": 0.5, "fi": 0.8, "tr": 0.5, "hu": 0.5, "et": 0.5},
    "ü": {"de": 1.0, "tr": 0.8, "hu": 0.5, "et": 0.3},
    "å": {"sv": 1.0, "da": 1.0, "nb": 1.0},
    "ø": {"da": 1.5, "nb": 1.5},
    "æ": {"da": 1.5, "nb": 1.5},
    "ğ": {"tr": 2.0},
    "ı": {"tr": 2.0},
    "ł": {"pl": 2.0},
    "ą": {"pl": 2.0, "lt": 0.5},
    "ę": {"pl": 2.0, "lt": 0.5},
    "ś": {"pl": 2.0},
    "ź": {"pl": 2.0},
    "ż": {"pl": 2.0},
    "ń": {"pl": 2.0},
    "ě": {"cs": 2.0},
    "ř": {"cs": 2.0},
    "ů": {"cs": 2.0},
    "č": {"cs": 1.5, "sk": 1.5, "hr": 1.5, "sl": 1.5, "lt": 1.0, "lv": 1.0},
    "š": {"cs": 1.5, "sk": 1.5, "hr": 1.5, "sl": 1.5, "lt": 1.0, "lv": 1.0, "et": 0.5},
    "ž": {"cs": 1.5, "sk": 1.5, "hr": 1.5, "sl": 1.5, "lt": 1.0, "lv": 1.0, "et": 0.5},
    "ć": {"hr": 2.0, "pl": 1.0},
    "đ": {"hr": 2.0},
    "ő": {"hu": 2.0},
    "ű": {"hu": 2.0},
    "ā": {"lv": 2.0},
    "ē": {"lv": 2.0},
    "ī": {"lv": 2.0},
    "ū": {"lv": 1.0, "lt": 1.0},
    "ė": {"lt": 2.0},
    "į": {"lt": 2.0},
    "ų": {"lt": 2.0},
    # Vietnamese: horn letters and the stacked diacritics of Latin Extended Additional
    "ơ": {"vi": 2.0},
    "ư": {"vi": 2.0},
    **{chr(code): {"vi": 1.0} for code in range(0x1EA0, 0x1EFA)},
}
#: Per letter, at most this many occurrences count.
_LETTER_CAP = 3

# Cyrillic: the Russian alphabet, the letters only Russian has among its neighbours, and
# the letters Russian lacks.
_RU_ALPHABET = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_RU_ONLY = frozenset("ыэё")
_UK_LETTERS = frozenset("іїєґ")
#: Above this share of words with Ukrainian letters, a text is not Russian.
_UK_MAX_SHARE = 0.2
#: ъ not followed by a vowel: Bulgarian (in Russian it only sits before е ё ю я).
_BG_HARD_SIGN_RE = re.compile(r"ъ(?![еёюя])")

# ---------------------------------------------------------------------------------------
# Text cleaning and tokenising.

_NOISE_RE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|\S*@\S+"  # mentions and e-mail addresses
    r"|&(?:amp|lt|gt|quot|apos|nbsp);"  # HTML entities left by scrapers
)
_LATIN_WORD_RE = re.compile(r"[a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
#: Cyrillic words, leaving out ordinal endings after numbers ("18-го", "7-й").
_CYRILLIC_WORD_RE = re.compile(r"(?<![\d\u0400-\u04ff-])[\u0400-\u04ff]+")
#: Letters of any other script (CJK, Arabic, Greek, Hebrew, Devanagari, Thai, ...).
_OTHER_LETTER_RE = re.compile(
    r"[^\W\d_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u0400-\u04ff]"
)
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
#: Letters of another script count this much more than a Latin or Cyrillic letter.
_OTHER_SCRIPT_WEIGHT = 2.0

#: Words used alike in many languages, which some stop-word lists claim all the same.
_INTERNATIONAL_WORDS = frozenset(
    "ok okay okey super top mega wow xd ha haha hahaha hah ah oh eh uh hm hmm bla ups "
    "oops ops".split()
)

#: Single letters that are words worth counting, per language.
_SINGLE_LETTER_WORDS: dict[str, str] = {
    "en": "i",
    "pt": "aoeéà",
    "es": "yaoe",
    "ro": "aoeiî",
    "fr": "aày",
    "it": "eèaio",
    "ca": "iaoe",
    "gl": "oaeé",
    "ru": "ивсякоау",
    "uk": "івзйуоа",
    "bg": "ивсау",
}


def _strip_accents(word: str) -> str:
    """The word without combining diacritics ("dezamăgit" -> "dezamagit")."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Script(NamedTuple):
    """The languages one score vector covers."""

    #: in score-vector order, the supported ones first ...
    languages: tuple[str, ...]
    #: ... this many of them
    n_supported: int
    #: language -> index in the score vector
    position: dict[str, int]

    @classmethod
    def of(cls, languages: Sequence[str]) -> _Script:
        ordered = tuple(languages)
        n_supported = sum(lang in SUPPORTED_LANGUAGES for lang in ordered)
        if set(ordered[:n_supported]) - set(SUPPORTED_LANGUAGES):
            raise ValueError(f"supported languages must come first, got {ordered}")
        return cls(ordered, n_supported, {lang: i for i, lang in enumerate(ordered)})


class _Tables(NamedTuple):
    """Lookup tables built once from the word lists."""

    latin: _Script
    #: Latin token -> ((language index, weight), ...)
    latin_words: dict[str, tuple[tuple[int, float], ...]]
    #: letter -> ((language index, weight), ...)
    letters: dict[str, tuple[tuple[int, float], ...]]
    #: Cyrillic token -> ((index in _CYRILLIC.languages, weight), ...)
    cyrillic_words: dict[str, tuple[tuple[int, float], ...]]


_CYRILLIC = _Script.of(("ru", "uk", "bg"))


def _spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words for a language, or nothing if spaCy lacks them.

    The stop_words.py file is loaded on its own: importing spacy.lang.fr (its tokenizer
    exceptions) alone takes about 2 s, and the word list is all we need.
    """
    name = f"spacy.lang.{lang}.stop_words"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.find_spec("spacy")
        locations = spec.submodule_search_locations if spec is not None else None
        path = Path(locations[0]) / "lang" / lang / "stop_words.py" if locations else None
        if path is None or not path.is_file():
            logger.warning("spaCy has no stop words for %r; using curated words only", lang)
            return frozenset()
        file_spec = importlib.util.spec_from_file_location(f"_causa_stop_words_{lang}", path)
        if file_spec is None or file_spec.loader is None:
            logger.warning("cannot load %s; using curated words only", path)
            return frozenset()
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def _weigh(
    raw: dict[str, dict[int, float]],
) -> dict[str, tuple[tuple[int, float], ...]]:
    """Divide each word's weight among the languages that use it.

    A curated word counts 1 and a spaCy-only word EXTENDED_WEIGHT before the division, so
    "nu", curated for Romanian and Dutch but only a spaCy stop word in Swedish and Danish,
    leans towards the first two.
    """
    weighted = {}
    for form, per_lang in raw.items():
        total = max(1.0, sum(per_lang.values()))
        weighted[form] = tuple((i, w / total) for i, w in sorted(per_lang.items()))
    return weighted


def _build_tables() -> _Tables:
    """Assemble the word and letter tables (about 13,000 words; well under 0.1 s)."""
    # Supported languages first (see LanguageDetector._decide).
    latin = [lang for lang in SUPPORTED_LANGUAGES if lang not in _CYRILLIC.position]
    latin += [lang for lang in _CORE_WORDS if lang not in latin]
    latin += [lang for lang in _SPACY_LANGUAGES if lang not in latin]
    latin += [lang for hints in _LETTER_HINTS.values() for lang in hints if lang not in latin]
    latin = list(dict.fromkeys(lang for lang in latin if lang not in _CYRILLIC.position))
    latin_index = {lang: i for i, lang in enumerate(latin)}
    cyrillic_index = _CYRILLIC.position
    latin_raw: dict[str, dict[int, float]] = {}
    cyrillic_raw: dict[str, dict[int, float]] = {}

    def add(word: str, lang: str, weight: float) -> None:
        if lang in cyrillic_index:
            raw, i, forms = cyrillic_raw, cyrillic_index[lang], {word}
        else:  # also without diacritics, as people often type it
            raw, i, forms = latin_raw, latin_index[lang], {word, _strip_accents(word)}
        for form in forms:
            if not form.isalpha():
                continue
            if len(form) < 2 and form not in _SINGLE_LETTER_WORDS.get(lang, ""):
                continue
            per_lang = raw.setdefault(form, {})
            per_lang[i] = max(per_lang.get(i, 0.0), weight)

    for lang, text in _CORE_WORDS.items():
        for word in text.split():
            for part in re.split(r"['’-]", word.lower()):
                add(part, lang, 1.0)
    for lang in _SPACY_LANGUAGES:
        for word in _spacy_stop_words(lang):
            for part in re.split(r"['’ -]", word.lower()):
                add(part, lang, EXTENDED_WEIGHT)
    for word in _INTERNATIONAL_WORDS:
        latin_raw.pop(word, None)

    letters = {
        ch: tuple((latin_index[lang], w) for lang, w in hints.items())
        for ch, hints in _LETTER_HINTS.items()
    }
    return _Tables(_Script.of(latin), _weigh(latin_raw), letters, _weigh(cyrillic_raw))


_tables_lock = threading.Lock()
_tables: _Tables | None = None


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


# ---------------------------------------------------------------------------------------
# lingua, for the ambiguous rest: built once, on first need, with a small language set.

_LINGUA_LANGUAGES: tuple[str, ...] = (
    "ENGLISH", "PORTUGUESE", "SPANISH", "ROMANIAN", "RUSSIAN",
    "FRENCH", "ITALIAN", "CATALAN", "GERMAN", "DUTCH", "UKRAINIAN", "BULGARIAN",
)  # fmt: skip

#: Fast-path languages lingua lacks -> the lingua language that takes them for itself.
_LINGUA_PROXIES: dict[str, str] = {"gl": "pt"}


class _Lingua(NamedTuple):
    """The shared lingua detector and how its languages map to ours."""

    detector: lingua.LanguageDetector
    #: lingua language -> our code ("other" for the confusable ones)
    codes: dict[object, str]
    #: lingua language -> its ISO 639-1 code, to find its fast-path score
    iso: dict[object, str]


_lingua_lock = threading.Lock()
_lingua: _Lingua | None = None


def _get_lingua() -> _Lingua:
    global _lingua
    if _lingua is None:
        with _lingua_lock:
            if _lingua is None:
                from lingua import Language, LanguageDetectorBuilder

                langs = [getattr(Language, name) for name in _LINGUA_LANGUAGES]
                iso = {lang: lang.iso_code_639_1.name.lower() for lang in langs}
                codes = {
                    lang: code if code in SUPPORTED_LANGUAGES else OTHER_LANGUAGE
                    for lang, code in iso.items()
                }
                logger.info("building the lingua detector for %d languages", len(langs))
                detector = LanguageDetectorBuilder.from_languages(*langs).build()
                _lingua = _Lingua(detector, codes, iso)
    return _lingua


def _warm_up_lingua(text: str) -> threading.Thread:
    """A thread that builds lingua and loads its models for the script of `text`, started now.

    Loading takes seconds and lingua releases the GIL for part of it, so it partly overlaps with the fast path over
    the rest of the batch; only a batch that has an ambiguous text starts it.
    """
    thread = threading.Thread(target=_lingua_confidences, args=(text,), name="lingua-warm-up", daemon=True)
    thread.start()
    return thread


def _lingua_confidences(text: str) -> list[lingua.ConfidenceValue]:
    return _get_lingua().detector.compute_language_confidence_values(text)


# ---------------------------------------------------------------------------------------


class _Undecided(NamedTuple):
    """What the fast path found for a text it could not decide: the evidence for lingua."""

    text: str
    #: language -> its index in scores
    position: dict[str, int]
    scores: list[float]


def _undecided(text: str, position: dict[str, int], scores: list[float]) -> _Undecided:
    """The evidence for lingua, with the text made safe for it (no lone surrogates)."""
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _Undecided(text, position, scores)


class LanguageDetector:
    """Detect en, pt, es, ro or ru; anything else is "other"."""

    def __init__(self, fallback: str | None = None) -> None:
        if fallback is None:
            fallback = OTHER_LANGUAGE
        if not isinstance(fallback, str) or fallback not in (
            *SUPPORTED_LANGUAGES,
            OTHER_LANGUAGE,
        ):
            allowed = ", ".join((*SUPPORTED_LANGUAGES, OTHER_LANGUAGE))
            raise ValueError(f"fallback must be one of {allowed} or None, got {fallback!r}")
        self.fallback = fallback
        self._tables = _get_tables()

    def detect(self, text: str) -> str:
        """The language code of one text."""
        verdict = self._fast(_clean(text))
        if isinstance(verdict, str):
            return verdict
        lingua_ = _get_lingua()
        confidences = lingua_.detector.compute_language_confidence_values(verdict.text)
        return self._combine(verdict, confidences, lingua_)

    def detect_many(self, texts: Sequence[str]) -> list[str]:
        """The language codes of many texts; the ambiguous ones go to lingua in one batch."""
        results: list[str] = []
        pending: list[tuple[int, _Undecided]] = []
        warm_up: threading.Thread | None = None
        fast = self._fast
        for i, text in enumerate(texts):
            verdict = fast(_clean(text))
            if isinstance(verdict, str):
                results.append(verdict)
            else:
                results.append(self.fallback)
                pending.append((i, verdict))
                if warm_up is None:
                    warm_up = _warm_up_lingua(verdict.text)
        if warm_up is not None:
            warm_up.join()
        if pending:
            logger.debug("%d of %d texts left to lingua", len(pending), len(results))
            lingua_ = _get_lingua()
            unique = list(dict.fromkeys(undecided.text for _, undecided in pending))  # short texts recur
            batch = lingua_.detector.compute_language_confidence_values_in_parallel(unique)
            by_text = dict(zip(unique, batch, strict=True))
            for i, undecided in pending:
                results[i] = self._combine(undecided, by_text[undecided.text], lingua_)
        return results

    # -- internals ------------------------------------------------------------------------

    def _combine(
        self,
        undecided: _Undecided,
        confidences: Iterable[lingua.ConfidenceValue],
        lingua_: _Lingua,
    ) -> str:
        """Weigh lingua's confidences with the fast path's scores; the fallback if unsure.

        Each language's confidence is multiplied by exp(LINGUA_SCORE_WEIGHT * its score)
        so that the words the fast path counted tip close calls (pt/es, ro/it), and by
        SUPPORTED_PRIOR for the five supported languages. Languages lingua does not know
        borrow the confidence of their closest neighbour (Galician that of Portuguese).
        """
        position = undecided.position
        scores = undecided.scores
        by_iso: dict[str, float] = {}
        weighted: list[tuple[float, str]] = []
        for confidence in confidences:
            iso = lingua_.iso[confidence.language]
            by_iso[iso] = confidence.value
            i = position.get(iso)
            score = scores[i] if i is not None else 0.0
            code = lingua_.codes[confidence.language]
            prior = SUPPORTED_PRIOR if code != OTHER_LANGUAGE else 1.0
            boost = prior * math.exp(LINGUA_SCORE_WEIGHT * score)
            weighted.append((confidence.value * boost, code))
        for lang, proxy in _LINGUA_PROXIES.items():
            i = position.get(lang)
            if i is not None and scores[i] > 0.0:
                value = by_iso.get(proxy, 0.0) * math.exp(LINGUA_SCORE_WEIGHT * scores[i])
                weighted.append((value, OTHER_LANGUAGE))
        weighted.sort(reverse=True)
        if not weighted or weighted[0][0] <= 0.0:
            return self.fallback
        best, code = weighted[0]
        second = weighted[1][0] if len(weighted) > 1 else 0.0
        if best < MIN_LINGUA_RATIO * second:
            return self.fallback
        return code

    def _fast(self, text: str) -> str | _Undecided:
        """A verdict from script, letters and words, or the evidence gathered for lingua."""
        latin_words = _LATIN_WORD_RE.findall(text)
        if text.isascii():
            if sum(map(len, latin_words)) < MIN_LETTERS:
                return self.fallback
            return self._latin(text, latin_words, ())
        cyrillic_words = _CYRILLIC_WORD_RE.findall(text)
        latin_letters = sum(map(len, latin_words))
        cyrillic_letters = sum(map(len, cyrillic_words))
        other_letters = len(_OTHER_LETTER_RE.findall(text)) * _OTHER_SCRIPT_WEIGHT
        if latin_letters + cyrillic_letters + other_letters < MIN_LETTERS:
            return self.fallback
        if other_letters > latin_letters and other_letters > cyrillic_letters:
            return OTHER_LANGUAGE
        if cyrillic_letters > latin_letters:
            return self._cyrillic(text, cyrillic_words)
        return self._latin(text, latin_words, _NON_ASCII_RE.findall(text))

    def _latin(
        self, text: str, words: Sequence[str], non_ascii: Sequence[str]
    ) -> str | _Undecided:
        tables = self._tables
        scores = [0.0] * len(tables.latin.languages)
        for hits in map(tables.latin_words.get, words):
            if hits is not None:
                for i, weight in hits:
                    scores[i] += weight
        if non_ascii:
            letters = tables.letters
            counts: dict[str, int] = {}
            for ch in non_ascii:
                if ch in letters:
                    counts[ch] = counts.get(ch, 0) + 1
            for ch, count in counts.items():
                for i, weight in letters[ch]:
                    scores[i] += weight * min(count, _LETTER_CAP)
        return self._decide(text, len(words), scores, tables.latin)

    def _cyrillic(self, text: str, words: Sequence[str]) -> str | _Undecided:
        scores = [0.0, 0.0, 0.0]  # _CYRILLIC: ru, uk, bg
        lookup = self._tables.cyrillic_words.get
        for word in words:
            hits = lookup(word)
            if hits is not None:
                for i, weight in hits:
                    scores[i] += weight
        joined = "".join(words)
        letters = set(joined)
        foreign = letters - _RU_ALPHABET
        if foreign:
            if not foreign <= _UK_LETTERS:
                return OTHER_LANGUAGE  # Serbian, Macedonian, Kazakh, Belarusian, ...
            # Ukrainian letters are in many Ukrainian words; a Russian text quoting a name
            # or two has them in few: let lingua look at that.
            marked = sum(1 for word in words if not _UK_LETTERS.isdisjoint(word))
            if marked > _UK_MAX_SHARE * len(words) or scores[0] <= scores[1]:
                return OTHER_LANGUAGE
            return _undecided(text, _CYRILLIC.position, scores)
        if letters & _RU_ONLY:
            return "ru"  # ы э ё: neither Ukrainian nor Bulgarian
        scores[2] += len(_BG_HARD_SIGN_RE.findall(joined))
        if scores[2] <= scores[0] and scores[1] <= scores[0]:
            return "ru"
        if scores[1] > scores[2]:
            # Ukrainian words but none of its letters: short, or Russian after all.
            return _undecided(text, _CYRILLIC.position, scores)
        return self._decide(text, len(words), scores, _CYRILLIC)

    def _decide(
        self, text: str, n_words: int, scores: list[float], script: _Script
    ) -> str | _Undecided:
        """The clear winner's code ("other" if unsupported), or the evidence for lingua.

        A supported language must beat every other language; an unsupported one only the
        supported ones (Croatian and Slovak, say, may tie: the text is "other" either way).
        """
        top = max(scores)
        best = scores.index(top)
        if top >= MIN_SCORE_LOW:
            if top >= MIN_SCORE or n_words <= SHORT_TEXT_WORDS:
                ratio = MIN_RATIO
            else:
                ratio = MIN_RATIO_LOW
            n_supported = script.n_supported
            if best < n_supported:
                scores[best] = 0.0
                rival = max(scores)
                scores[best] = top
            else:
                rival = max(scores[:n_supported])
            if top >= ratio * rival and top - rival >= MIN_MARGIN:
                return script.languages[best] if best < n_supported else OTHER_LANGUAGE
        if n_words < MIN_WORDS:
            return self.fallback
        return _undecided(text, script.position, scores)


def _clean(text: str) -> str:
    """Lower-cased text without URLs, mentions, e-mails, HTML entities, cut to MAX_CHARS."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
    text = text[:MAX_CHARS].lower()
    if "@" in text or "&" in text or "://" in text or "www." in text:
        text = _NOISE_RE.sub(" ", text)
    return text


def detect_with_hints(detector: LanguageDetector, texts: Sequence[str], hints: Sequence[str | None]) -> list[str]:
    """Each text's given language where it is a supported one, else the detected one (only those are detected)."""
    cleaned = [(hint or "").strip().lower() for hint in hints]
    unknown = [index for index, hint in enumerate(cleaned) if hint not in SUPPORTED_LANGUAGES]
    detected = dict(zip(unknown, detector.detect_many([texts[index] for index in unknown])))
    return [detected.get(index, hint) for index, hint in enumerate(cleaned)]
