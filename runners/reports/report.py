"""`report OUT.jsonl`: quality metrics per label and overall, as a printed table and a self-contained HTML page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runners.reports import metrics
from runners.run.records import reject_kind

NO_LABEL = "(no label)"
OVERALL = "all"


@dataclass
class GroupStats:
    """The metrics of one label's rows (or of all rows)."""

    name: str
    count: int
    rejected: int
    values: dict[str, float] = field(default_factory=dict)

    @property
    def valid_rate(self) -> float:
        return self.count / (self.count + self.rejected) if self.count + self.rejected else float("nan")


@dataclass
class Report:
    """Everything the printed table and the HTML page show."""

    title: str
    groups: list[GroupStats]
    columns: list[tuple[str, str, str]]  # (key, header, format)
    judge_source: str
    lengths: list[int]
    similarities: np.ndarray
    similarity_title: str
    reasons: Counter
    samples: dict[str, tuple[list[dict], list[dict]]] = field(default_factory=dict)
    """Per label: a few accepted rows and a few rejects, to read."""
    logprobs: list[float] = field(default_factory=list)
    """The model's mean token log-probability of each accepted row."""
    map_points: np.ndarray | None = None
    """Real and synthetic rows' embeddings projected to 2-D, with their labels and whether each is real."""
    map_labels: list[str] = field(default_factory=list)
    map_real: list[bool] = field(default_factory=list)
    validation: str = ""
    """What validation on the labelled pool estimated (`page.validation_table`), from the run's manifest."""


def samples_per_label(
    rows: list[dict[str, Any]], rejects: list[dict[str, Any]], k: int = 5, seed: int = 0
) -> dict[str, tuple[list[dict], list[dict]]]:
    """Up to `k` accepted rows and `k` rejects of each label, drawn reproducibly."""
    import random

    rng = random.Random(seed)
    names = sorted({r.get("label") or NO_LABEL for r in rows} | {r.get("label") or NO_LABEL for r in rejects})
    result = {}
    for name in names:
        kept = [r for r in rows if (r.get("label") or NO_LABEL) == name]
        refused = [r for r in rejects if (r.get("label") or NO_LABEL) == name]
        result[name] = (rng.sample(kept, min(k, len(kept))), rng.sample(refused, min(k, len(refused))))
    return result


def embedding_map(
    vectors: np.ndarray, labels: list[str | None], real: list[dict[str, str]], embed: Callable
) -> tuple[np.ndarray, list[str], list[bool]]:
    """Synthetic and real rows' embeddings in 2-D by PCA fitted on both (a linear map: distances stay honest)."""
    from sklearn.decomposition import PCA

    real_vectors = _unit(embed([r["text"] for r in real])) if real else np.zeros((0, vectors.shape[1]))
    stacked = np.vstack([vectors, real_vectors])
    points = PCA(n_components=2, random_state=0).fit_transform(stacked) if len(stacked) >= 3 else np.zeros((0, 2))
    names = [lab or NO_LABEL for lab in labels] + [r["label"] for r in real]
    return points, names, [False] * len(vectors) + [True] * len(real)


@dataclass
class _Rows:
    """The run's rows as the metrics need them, computed once for every group."""

    texts: list[str]
    vectors: np.ndarray
    labels: list[str | None]
    judged: list[str | None] | None
    sources: list[str] | None
    source_cosine: np.ndarray | None

    def values(self, pick: list[int], near_dup: float) -> dict[str, float]:
        """The metrics of the rows at `pick`."""
        texts, vectors = [self.texts[i] for i in pick], self.vectors[pick]
        length = metrics.length_stats(texts)
        values = {
            "distinct1": metrics.distinct_n(texts, 1),
            "distinct2": metrics.distinct_n(texts, 2),
            "duplicates": metrics.duplicate_rate(texts),
            "near_duplicates": metrics.near_duplicate_rate(vectors, near_dup),
            "pairwise": metrics.mean_pairwise_similarity(vectors),
            "words": length.get("mean", float("nan")),
            "words_p10": length.get("p10", float("nan")),
            "words_p90": length.get("p90", float("nan")),
        }
        if self.judged is not None:
            values["fidelity"] = metrics.agreement([self.labels[i] for i in pick], [self.judged[i] for i in pick])
        if self.sources is not None and self.source_cosine is not None:
            pairs = [(self.texts[i], self.sources[i]) for i in pick]
            values["copies"] = float(sum(metrics.is_copy(t, src) for t, src in pairs))
            values["source_cosine"] = float(np.median(self.source_cosine[pick])) if pick else float("nan")
            values["overlap"] = float(np.mean([metrics.token_overlap(t, src) for t, src in pairs]))
        return values


def build_report(
    rows: list[dict[str, Any]],
    rejects: list[dict[str, Any]],
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    judged: list[str | None] | None = None,
    judge_source: str = "none",
    near_dup: float = 0.95,
    title: str = "",
    real: list[dict[str, str]] | None = None,
) -> Report:
    """Metrics of `rows` per label and overall; `judged` is an independent label per row, for fidelity.

    `real` labelled texts (the user's examples, or the rows' labelled sources) join the embedding map.
    """
    texts = [str(r["output"]) for r in rows]
    vectors = _unit(embed(texts)) if texts else np.zeros((0, 1))
    paraphrase = bool(rows) and all(r.get("task") == "paraphrase" for r in rows)
    sources = [str(r["inputs"].get("text", "")) for r in rows] if paraphrase else None
    data = _Rows(
        texts=texts,
        vectors=vectors,
        labels=[r.get("label") if r.get("task") != "classify" else None for r in rows],
        judged=judged,
        sources=sources,
        source_cosine=(vectors * _unit(embed(sources))).sum(axis=1) if sources is not None else None,
    )
    rejected = Counter(r.get("label") or NO_LABEL for r in rejects)
    names = sorted({lab or NO_LABEL for lab in data.labels})
    groups = []
    for name in [*names, OVERALL] if len(names) > 1 else [OVERALL]:
        pick = [i for i, lab in enumerate(data.labels) if name == OVERALL or (lab or NO_LABEL) == name]
        count_rejected = sum(rejected.values()) if name == OVERALL else rejected.get(name, 0)
        groups.append(GroupStats(name, len(pick), count_rejected, data.values(pick, near_dup)))
    columns = [
        ("distinct1", "distinct-1", "{:.2f}"),
        ("distinct2", "distinct-2", "{:.2f}"),
        ("duplicates", "duplicate rate", "{:.1%}"),
        ("near_duplicates", f"near-dup rate (cos >= {near_dup})", "{:.1%}"),
        ("pairwise", "mean pairwise cos", "{:.2f}"),
        ("words", "words mean", "{:.1f}"),
        ("words_p10", "words p10", "{:.0f}"),
        ("words_p90", "words p90", "{:.0f}"),
    ]
    if judged is not None:
        columns.append(("fidelity", "label fidelity", "{:.1%}"))
    if data.source_cosine is not None:
        columns += [
            ("copies", "exact copies", "{:.0f}"),
            ("source_cosine", "median cos to source", "{:.2f}"),
            ("overlap", "mean token overlap", "{:.2f}"),
        ]
        similarities, sim_title = data.source_cosine, "Cosine similarity of each paraphrase to its source"
    else:
        similarities, sim_title = (
            metrics.nearest_similarity(vectors),
            "Cosine similarity of each row to its nearest other row",
        )
    return Report(
        title=title,
        groups=groups,
        columns=columns,
        judge_source=judge_source,
        lengths=[len(t.split()) for t in texts],
        similarities=similarities,
        similarity_title=sim_title,
        reasons=Counter(reject_kind(r) for r in rejects),
        samples=samples_per_label(rows, rejects),
        logprobs=[float(r["logprob"]) for r in rows if r.get("logprob") is not None],
        **_map(vectors, data.labels, real, embed),
    )


def _map(vectors: np.ndarray, labels: list[str | None], real: list[dict[str, str]] | None, embed: Callable) -> dict:
    if not real or not len(vectors):
        return {}
    points, names, is_real = embedding_map(vectors, labels, real, embed)
    return {"map_points": points, "map_labels": names, "map_real": is_real}


def _unit(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)


def real_rows(
    rows: list[dict[str, Any]], examples: Path | None, text_column: str = "text", label_column: str = "label"
) -> list[dict[str, str]] | None:
    """Real labelled texts to compare the rows with: the `examples` file, else the rows' labelled sources."""
    from runners.run.inputs import read_labelled

    if examples is not None:
        return read_labelled(examples, text_column, label_column, "--examples")
    labelled = [r for r in rows if r.get("label") and r.get("task") != "classify" and r["inputs"].get("text")]
    return (
        list({r["inputs"]["text"]: {"text": r["inputs"]["text"], "label": r["label"]} for r in labelled}.values())
        or None
    )


def fidelity(
    rows: list[dict[str, Any]],
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    real: list[dict[str, str]] | None,
    examples: Path | None,
) -> tuple[list[str | None] | None, str]:
    """An independent label per row and where it came from: a judge trained on `examples` (if given),
    the rows' own `--verify-label` verdicts, or a judge trained on the rows' labelled sources."""
    from chains.checks.judge import EmbeddingJudge

    judged, source = None, "none (rows carry no label to check)"
    labelled = [r for r in rows if r.get("label") and r.get("task") != "classify"]
    pool = None
    if labelled and examples is not None:
        pool = real or []
        source = f"logistic regression on MiniLM embeddings of the {len(pool)} labelled texts in {examples}"
    elif labelled and all(r.get("judge") for r in labelled):
        judged = [(r.get("judge") or {}).get("label") for r in rows]
        source = f"the rows' own verdicts from generate --verify-label {labelled[0]['judge']['name']}"
    elif labelled and real:
        pool = real
        source = f"logistic regression on MiniLM embeddings of the {len(pool)} labelled source texts of the rows"
    if pool is not None:
        if len({p.get("label") for p in pool if p.get("text")}) >= 2:
            judged = [v.label for v in EmbeddingJudge(embed, pool).judge([str(r["output"]) for r in rows])]
        else:
            source = "none (pass --examples FILE with text and label columns of at least two classes)"
    return judged, source
