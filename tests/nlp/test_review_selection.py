"""The review selection: uncertain items first, near-duplicates once, quotas per language and cause."""

from __future__ import annotations

from collections import Counter

import pytest

from causa.nlp.review_selection import (
    NO_CAUSE, SelectionOptions, cause_group, fair_quotas, normalised_text, select_for_review,
)

TEMPLATE = "Flight {} delayed {} hours at the gate again, nobody from the crew tells us anything"
DISTINCT = [
    "The agent on the phone was rude and hung up on me",
    "They charged my card twice for one seat",
    "Lovely crew and a smooth landing, thank you",
    "What is the baggage allowance on the morning flight?",
    "My refund request has been open for six weeks with no answer",
    "Seats were dirty and the screen did not work",
    "Boarding was quick and the staff were friendly",
    "Lost my suitcase in Denver, still no news",
]


def test_near_duplicates_of_the_most_uncertain_text_enter_the_queue_once() -> None:
    copies = [TEMPLATE.format(1200 + i, 2 + i % 3) for i in range(10)]
    texts = copies + DISTINCT
    # the copies are the least sure items, the distinct texts come after them
    chosen = select_for_review(texts, ["en"] * len(texts), [NO_CAUSE] * len(texts), range(len(texts)), 6,
                               SelectionOptions(balance=False))
    assert chosen[0] == 0  # the most uncertain item is picked first
    assert len(chosen) == 6
    assert sum(index < len(copies) for index in chosen) == 1
    # without the threshold, the pure uncertainty order would have taken six copies
    assert [index for index in range(6)] != chosen


def test_texts_that_normalise_alike_count_once() -> None:
    texts = ["Great FLIGHT!!", "great flight", "  Gréat   flight. ", *DISTINCT]
    chosen = select_for_review(texts, ["en"] * len(texts), [NO_CAUSE] * len(texts), range(len(texts)), 4)
    assert len(chosen) == 4 and sum(index < 3 for index in chosen) == 1
    assert normalised_text("  Gréat   FLIGHT. ") == "great flight"


def test_each_language_gets_its_share_even_when_another_is_less_sure() -> None:
    english = [f"{text} (case {i})" for i, text in enumerate(DISTINCT * 3)]
    portuguese = ["O voo atrasou quatro horas", "A comissária foi grosseira comigo", "Cobraram a bagagem duas vezes",
                  "Adorei o atendimento no check-in"]
    texts = english + portuguese
    languages = ["en"] * len(english) + ["pt"] * len(portuguese)
    causes = [NO_CAUSE] * len(texts)
    chosen = select_for_review(texts, languages, causes, range(len(texts)), 8)
    counts = Counter(languages[i] for i in chosen)
    assert counts == {"en": 4, "pt": 4}
    unbalanced = select_for_review(texts, languages, causes, range(len(texts)), 8, SelectionOptions(balance=False))
    assert Counter(languages[i] for i in unbalanced)["pt"] < 4


def test_one_cause_does_not_take_the_whole_queue() -> None:
    delays = [f"{text}, the flight was late" for text in DISTINCT]
    others = ["The crew was rude to my mother", "Nobody solved my complaint", "They overcharged for seats",
              "Smooth trip, on time"]
    texts = delays + others
    causes = ["delay"] * len(delays) + ["rudeness", "unresolved_issue", "overcharge", NO_CAUSE]
    chosen = select_for_review(texts, ["en"] * len(texts), causes, range(len(texts)), 8)
    counts = Counter(causes[i] for i in chosen)
    assert counts == {"delay": 4, "rudeness": 1, "unresolved_issue": 1, "overcharge": 1, NO_CAUSE: 1}


def test_quotas_leave_no_slot_empty_when_groups_are_small() -> None:
    texts = DISTINCT
    languages = ["en"] * 7 + ["ro"]
    chosen = select_for_review(texts, languages, [NO_CAUSE] * 8, range(8), 6)
    assert len(chosen) == 6 and 7 in chosen


def test_fair_quotas_share_equally_and_pass_on_what_a_small_group_cannot_use() -> None:
    assert fair_quotas(Counter({"en": 100, "pt": 2, "ro": 50}), 10) == {"en": 4, "pt": 2, "ro": 4}
    assert fair_quotas(Counter({"en": 3}), 10) == {"en": 3}
    assert sum(fair_quotas(Counter({"a": 5, "b": 5, "c": 5}), 7).values()) == 7


def test_cause_group_and_arguments() -> None:
    assert cause_group(("delay", "rudeness")) == "delay" and cause_group(()) == NO_CAUSE
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        select_for_review(["a"], ["en"], [NO_CAUSE], [0], 0)
    with pytest.raises(ValueError, match="differ in length"):
        select_for_review(["a", "b"], ["en"], [NO_CAUSE], [0], 1)
    with pytest.raises(ValueError, match="near-duplicate similarity"):
        SelectionOptions(near_duplicate=1.5)
