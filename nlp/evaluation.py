"""Accuracy of predictions against labels: per language and class precision, recall, F1, macro-F1, confusion."""

from __future__ import annotations

from typing import Any, Sequence

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from causa.nlp.taxonomy import SENTIMENTS

ALL_LANGUAGES = "all"
NO_EXAMPLES = "n/a (no examples)"
"""How a class with no gold examples reads: its F1 says nothing, and macro averages leave it out."""


def f1_text(scores: dict[str, Any]) -> str:
    """A class's F1 to three decimals, or n/a when the labels hold no example of it."""
    return f"{scores['f1']:.3f}" if scores["support"] > 0 else NO_EXAMPLES


def classification_report(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, macro-F1, accuracy and the confusion matrix (rows = gold)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=list(labels), zero_division=0
    )
    present = [i for i, count in enumerate(support) if count > 0]
    return {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0,
        "macro_f1": float(sum(f1[i] for i in present) / len(present)) if present else 0.0,
        "classes": {
            label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                    "support": int(support[i])}
            for i, label in enumerate(labels)
        },
        "labels": list(labels),
        "confusion": confusion_matrix(gold, predicted, labels=list(labels)).tolist() if gold else [],
    }


def binary_report(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, Any]:
    """Precision, recall and F1 of one cause, with the 2x2 confusion matrix (rows = gold absent, present)."""
    report = classification_report(
        ["present" if g else "absent" for g in gold], ["present" if p else "absent" for p in predicted],
        ["absent", "present"],
    )
    present = report["classes"]["present"]
    return {"n": report["n"], "precision": present["precision"], "recall": present["recall"], "f1": present["f1"],
            "support": present["support"], "confusion": report["confusion"]}


def evaluate(
    languages: Sequence[str],
    gold_sentiments: Sequence[str | None],
    predicted_sentiments: Sequence[str],
    gold_causes: Sequence[Sequence[str] | None],
    predicted_causes: Sequence[Sequence[str]],
    causes: Sequence[str],
) -> dict[str, Any]:
    """The full report, for all items and per language; items with no gold label for a task are left out of it."""
    report: dict[str, Any] = {}
    for language in [ALL_LANGUAGES, *sorted(set(languages))]:
        rows = [i for i, lang in enumerate(languages) if language == ALL_LANGUAGES or lang == language]
        section: dict[str, Any] = {"n": len(rows)}
        sentiment_rows = [i for i in rows if gold_sentiments[i] is not None]
        if sentiment_rows:
            section["sentiment"] = classification_report(
                [gold_sentiments[i] for i in sentiment_rows], [predicted_sentiments[i] for i in sentiment_rows],
                SENTIMENTS,
            )
        cause_rows = [i for i in rows if gold_causes[i] is not None]
        if cause_rows:
            section["causes"] = {
                cause: binary_report(
                    [cause in gold_causes[i] for i in cause_rows], [cause in predicted_causes[i] for i in cause_rows]
                )
                for cause in causes
            }
            f1s = [section["causes"][c]["f1"] for c in causes if section["causes"][c]["support"] > 0]
            section["causes_macro_f1"] = sum(f1s) / len(f1s) if f1s else 0.0
        report[language] = section
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text rendering of `evaluate`'s report."""
    lines = []
    for language, section in report.items():
        lines.append(f"== {language} ({section['n']} items)")
        sentiment = section.get("sentiment")
        if sentiment:
            lines.append(f"sentiment: macro-F1 {sentiment['macro_f1']:.3f}, accuracy {sentiment['accuracy']:.3f}"
                         + _left_out(sentiment["classes"]))
            for label, scores in sentiment["classes"].items():
                lines.append(f"  {label:<10} " + _class_scores(scores))
            lines.append("  confusion (rows gold, columns predicted: " + ", ".join(sentiment["labels"]) + ")")
            lines += [f"    {row}" for row in sentiment["confusion"]]
        causes = section.get("causes")
        if causes:
            lines.append(f"causes: macro-F1 {section['causes_macro_f1']:.3f}" + _left_out(causes))
            for cause, scores in causes.items():
                lines.append(f"  {cause:<17} " + _class_scores(scores) + f"  confusion {scores['confusion']}")
    return "\n".join(lines) + "\n"


def _class_scores(scores: dict[str, Any]) -> str:
    if scores["support"] == 0:
        return f"{NO_EXAMPLES}  n 0"
    return f"P {scores['precision']:.3f}  R {scores['recall']:.3f}  F1 {scores['f1']:.3f}  n {scores['support']}"


def _left_out(classes: dict[str, dict[str, Any]]) -> str:
    """A note naming the classes without examples, which the macro average leaves out."""
    missing = [name for name, scores in classes.items() if scores["support"] == 0]
    return f" (over {len(classes) - len(missing)} of {len(classes)}: no examples of {', '.join(missing)})" if missing else ""
