"""Token keys (lemma, accents stripped, Snowball stem) are the same whichever thread asks for them."""

from __future__ import annotations

import sys
import threading

from causa.nlp.text import TokenKeyer

WORDS = [stem + ending for stem in ("entreg", "atras", "cobr", "reclam", "devolv", "cancel", "respond", "esper")
         for ending in ("ando", "amos", "aram", "ação", "ações", "ável", "idade", "ência", "imento", "emos")]


def test_threads_sharing_a_keyer_get_each_words_own_key() -> None:
    """A Snowball stemmer keeps the word it works on in itself; the nightly flow scores batches in threads that
    share one model, so a shared stemmer used to hand one thread's stem to another."""
    expected = [TokenKeyer("pt", lemmas={}).key(word) for word in WORDS]
    shared = TokenKeyer("pt", lemmas={})
    results: dict[int, list[str]] = {}

    def key_all(thread: int) -> None:
        results[thread] = [shared.key(word) for word in WORDS * 20]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=key_all, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == 6
    assert all(keys == expected * 20 for keys in results.values())
