"""Themes split texts about different problems and name them by their words."""

from __future__ import annotations

from causa.nlp.themes import find_themes, stop_keys

BATTERY = [
    "The battery drains overnight, the battery is dead by morning",
    "battery dies after two hours, terrible battery life",
    "my battery drains so fast, battery dead again",
    "the battery will not hold a charge, battery dead",
    "battery life is awful, the battery drains",
    "battery dead after one hour, the battery drains quickly",
]
SCREEN = [
    "the screen cracked on day one, cracked screen",
    "screen went black and cracked, awful screen",
    "cracked screen after a tiny drop, the screen is fragile",
    "the screen flickers and now the screen cracked",
    "screen cracked again, poor screen glass",
    "the screen glass cracked in my pocket, screen broken",
]


def test_two_problems_become_two_themes(shipped_model) -> None:
    analyser = shipped_model.analyser
    texts = BATTERY + SCREEN
    analysed = analyser.analyse(texts, ["en"] * len(texts))
    themes = find_themes(analysed, stop_keys(analyser), max_themes=2)
    assert len(themes) == 2
    groups = sorted(sorted(theme.members) for theme in themes)
    assert groups == [list(range(6)), list(range(6, 12))]
    firsts = {theme.terms[0] for theme in themes}
    assert firsts == {"battery", "screen"}
    assert "the" not in {term for theme in themes for term in theme.terms}


def test_too_little_text_gives_no_theme(shipped_model) -> None:
    analysed = shipped_model.analyser.analyse(["only one complaint here"], ["en"])
    assert find_themes(analysed) == []
