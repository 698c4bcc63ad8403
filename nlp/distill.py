"""Knowledge distillation: the accurate tier labels real, unlabelled, licence-clean texts for the fast tier to learn.

`python -m causa.nlp.distill --clean ../shared/data/clean --teacher DIR [--embedding-cache DIR]` writes
`nlp/starter_corpus/distilled/<source>_<lang>.jsonl`: the BANKING77 queries, SART tweets (train split) and CFPB
narratives of `clean/` that were not labelled by hand, each with the teacher's sentiment and causes.
`causa.nlp.train_default` trains the fast tier on them beside the hand-labelled corpus (the encoder heads learn from hand
labels only).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from pathlib import Path
from typing import Sequence

from causa.nlp.corpus import DISTILLED_DIR, load_starter_corpus, starter_corpus_dir
from causa.nlp.encoder import SentenceEncoder
from causa.nlp.language import LanguageDetector
from causa.nlp.model import FeedbackModel, ItemScore
from causa.nlp.model_store import load_model

logger = logging.getLogger(__name__)

BATCH = 2000


def unlabelled_clean_texts(clean: Path) -> dict[str, list[tuple[str, str]]]:
    """(id, text) of each clean source's rows that the hand-labelled corpus does not hold, by output file name."""
    labelled = {item.text for item in load_starter_corpus(distilled=False)}
    with (clean / "banking77_train.csv").open(encoding="utf-8") as handle:
        banking = [(f"banking77|{i}", row["text"]) for i, row in enumerate(csv.DictReader(handle))]
    with (clean / "sart_ro" / "train.csv").open(encoding="utf-8") as handle:
        sart = [(f"sart|{row['']}", row["text"]) for row in csv.DictReader(handle)]
    with (clean / "cfpb" / "complaints.csv").open(encoding="utf-8") as handle:
        cfpb = [(f"cfpb|{row['complaint_id']}", row["narrative"]) for row in csv.DictReader(handle)]
    return {name: [(key, text) for key, text in rows if text.strip() and text not in labelled]
            for name, rows in (("banking77_en", banking), ("sart_ro", sart), ("cfpb_en", cfpb))}


def teacher_scores(teacher: FeedbackModel, texts: Sequence[str], languages: Sequence[str]) -> list[ItemScore]:
    """The accurate tier's verdict on each text, batch by batch: the labels the fast tier learns from."""
    if "accurate" not in teacher.tiers:
        raise ValueError(f"the teacher must have the accurate tier, it has {list(teacher.tiers)}")
    scores: list[ItemScore] = []
    for begin in range(0, len(texts), BATCH):
        scores += teacher.score(list(texts[begin:begin + BATCH]), list(languages[begin:begin + BATCH]), tier="accurate")
        logger.info("teacher labelled %d of %d texts", len(scores), len(texts))
    return scores


def distil(teacher: FeedbackModel, clean: Path, output: Path) -> dict[str, int]:
    """Writes the teacher's labels of every unlabelled clean text; returns the rows written per file."""
    detector = LanguageDetector()
    output.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, rows in unlabelled_clean_texts(clean).items():
        if not rows:
            logger.info("%s: every text is labelled by hand", name)
            continue
        texts = [text for _, text in rows]
        scores = teacher_scores(teacher, texts, detector.detect_many(texts))
        lines = [json.dumps({"id": key, "text": text, "sentiment": score.sentiment, "causes": list(score.causes)},
                            ensure_ascii=False)
                 for (key, text), score in zip(rows, scores)]
        (output / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        written[name] = len(lines)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", type=Path, required=True, help="the clean/ folder of the shared data")
    parser.add_argument("--teacher", type=Path, required=True, help="a model folder with the accurate tier")
    parser.add_argument("--output", type=Path, default=starter_corpus_dir() / DISTILLED_DIR)
    parser.add_argument("--embedding-cache", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    teacher = load_model(args.teacher)
    teacher.set_params(encoder=SentenceEncoder(args.embedding_cache))
    logger.info("wrote %s", distil(teacher, args.clean, args.output))


if __name__ == "__main__":
    main()
