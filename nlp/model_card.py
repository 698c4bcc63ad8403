"""The model card (README.md of a registered version): what was trained on what, and how well it does."""

from __future__ import annotations

from typing import Any, Mapping

from causa.nlp.evaluation import NO_EXAMPLES, f1_text


def model_card(version: str, manifest: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    """Markdown a person can read: data, parameters, held-out results next to the model it was compared with."""
    data = manifest.get("training_data", {})
    counts = data.get("counts", {})
    parameters = manifest.get("parameters", {})
    lines = [
        f"# causa model {version}",
        "",
        f"Created {manifest.get('created', '?')} by causa {manifest.get('code_version', '?')}.",
        "",
        "## Training data",
        "",
        f"- file: `{data.get('path', data.get('name', '?'))}` (sha256 `{data.get('fingerprint', '?')}`)",
        f"- rows: {counts.get('rows', '?')} read, {counts.get('labelled', '?')} labelled, "
        f"{counts.get('train', '?')} for training, {counts.get('heldout', '?')} held out for evaluation",
    ]
    if data.get("derived_from_ratings"):
        lines.append(f"- sentiment derived from the rating column `{data['derived_from_ratings']}` "
                     f"on the scale {parameters.get('rating_scale', '?')}")
    if "base" in data:
        lines.append(f"- plus the {data['base']['name']} ({data['base']['rows']} rows) for training only")
    lines += [
        "",
        "## Model",
        "",
        f"- causes: {', '.join(parameters.get('causes', [])) or 'none'}",
        f"- languages: {', '.join(parameters.get('languages', []))}",
        f"- character n-grams: {parameters.get('char_ngrams') or 'off'}; sentiment C {parameters.get('sentiment_C')}, "
        f"cause C {parameters.get('cause_C')}",
        f"- trained in {metrics.get('training_seconds', '?')} s",
        *_selection_lines(manifest.get("selection")),
        "",
        f"## Held-out results ({metrics.get('heldout_rows', '?')} rows)",
        "",
    ]
    ours = metrics.get("model", {}).get("all", {})
    baseline = metrics.get("baseline")
    theirs = baseline["report"].get("all", {}) if baseline else {}
    header = "| metric | this model |" + (f" {baseline['version']} |" if baseline else "")
    lines += [header, "|---|---|" + ("---|" if baseline else "")]
    for label, key in (("sentiment macro-F1", "macro_f1"), ("sentiment accuracy", "accuracy")):
        if "sentiment" in ours:
            row = f"| {label} | {ours['sentiment'][key]:.3f} |"
            if baseline and "sentiment" in theirs:
                row += f" {theirs['sentiment'][key]:.3f} |"
            lines.append(row)
    if "causes_macro_f1" in ours:
        row = f"| causes macro-F1 | {ours['causes_macro_f1']:.3f} |"
        if baseline and "causes_macro_f1" in theirs:
            row += f" {theirs['causes_macro_f1']:.3f} |"
        lines.append(row)
        for cause, scores in ours.get("causes", {}).items():
            lines.append(f"| {cause} F1 (n {scores['support']}) | {f1_text(scores)} |" + (" |" if baseline else ""))
    if "sentiment" in ours:
        lines += ["", "Per sentiment class (precision / recall / F1 / support):", ""]
        for label, scores in ours["sentiment"]["classes"].items():
            lines.append(f"- {label}: {scores['precision']:.3f} / {scores['recall']:.3f} / {scores['f1']:.3f} / "
                         f"{scores['support']}" if scores["support"] else f"- {label}: {NO_EXAMPLES}")
    lines += [
        "",
        f"Classes with no held-out example read {NO_EXAMPLES} and are left out of the macro averages.",
        "",
        "## Use",
        "",
        f"`causa models promote {version}` makes the nightly run score with it (refused if it is worse than the",
        "promoted model on the held-out rows, unless `--force`). Every file of this folder is listed with its",
        "sha256 in manifest.json; a changed file makes loading fail.",
        "",
    ]
    return "\n".join(lines)


def _selection_lines(selection: Mapping[str, Any] | None) -> list[str]:
    """How the features and C were chosen: the summary, then each candidate tried with its validation scores."""
    if not selection:
        return []
    lines = [f"- options: {selection.get('summary', '?')}"]
    for tried in selection.get("candidates", []):
        lines.append(
            f"  - char n-grams {_ngrams_text(tried['char_ngrams'])}, sentiment C {tried['sentiment_C']:g}, "
            f"cause C {tried['cause_C']:g}: validation sentiment macro-F1 {_score_text(tried['sentiment_macro_f1'])}, "
            f"causes average precision {_score_text(tried['causes_average_precision'])} ({tried['seconds']} s)")
    for skipped in selection.get("not_tried", []):
        lines.append(f"  - not tried ({skipped.get('reason', 'budget spent')}): char n-grams {_ngrams_text(skipped['char_ngrams'])}, "
                     f"sentiment C {skipped['sentiment_C']:g}, cause C {skipped['cause_C']:g}")
    return lines


def _ngrams_text(value: Any) -> str:
    return "off" if not value else f"{value[0]}-{value[1]}"


def _score_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
