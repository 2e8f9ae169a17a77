"""`gate-check`: the gate of `generate labeled` on row sets whose effect on held-out data is known.

For each seed, k real examples per class are drawn as the user's pool (as `evaluate` draws them), and three sets
of rows are made from other real rows of the data set, each row recorded as made from `shots` examples of one
half of its class (as the class selector deals them):
- help: real rows of the right class;
- hurt: the same rows with their labels rotated to the next class;
- noise: strings of letters as long as those rows, with their labels.
Each set goes through the gate as generated rows do (the model's label check, then validation on the pool). Its
real effect, and that of what the gate saved, is the test-set accuracy gain over the pool alone, the mean of
TF-IDF + LR and MiniLM + LR. The gate's goals are then counted over the runs whose rows move accuracy by more
than `EFFECT` points either way.
"""

from __future__ import annotations

import json
import random
import statistics
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chains.checks.classifiers import CLASSIFIERS, Embedder, train_and_score
from chains.selectors import halves
from runners.experiments.scoring import draw, split

KINDS = ("help", "hurt", "noise")
# A run helps or hurts where all its rows move test accuracy by more than this many points.
EFFECT = 2.0
# What the gate's saved rows may lose on a harmful run and still count as safe (points).
LOSS_ALLOWED = 1.0


@dataclass(frozen=True)
class KnownRun:
    """One row set through the gate: its real gain, and that of what the gate saved (points, per classifier)."""

    data: str
    seed: int
    kind: str
    rows: int
    saved: int
    gain: dict[str, float]
    saved_gain: dict[str, float]
    line: str | None = None
    evidence: dict[str, Any] | None = None
    """What the gate read: the pool validation's summary and the model's label check, where each ran."""

    @property
    def effect(self) -> float:
        return statistics.mean(self.gain.values())

    @property
    def saved_effect(self) -> float:
        return statistics.mean(self.saved_gain.values())


def known_sets(
    real: list[dict[str, str]],
    others: list[dict[str, str]],
    per_class: int,
    seed: int,
    shots: int = 4,
    language: str = "en",
) -> dict[str, list[dict[str, Any]]]:
    """The help, hurt and noise sets (see the module docstring) for the pool `real` (examples with ids), rows drawn
    from `others`. Row i of a class is made from shots of half i % 2 of that class, by `halves(real, seed)`."""
    rng = random.Random(f"known:{seed}")
    classes = sorted({e["label"] for e in real})
    half = halves(real, seed)
    decks = {(c, h): [e["id"] for e in real if e["label"] == c and half[e["id"]] == h] for c in classes for h in (0, 1)}
    by_class = {c: [r for r in others if r["label"] == c] for c in classes}
    short = [c for c in classes if len(by_class[c]) < per_class]
    if short:
        raise ValueError(f"class {short[0]!r} has fewer than {per_class} real rows beside the pool and the test set")
    drawn = [(c, r["text"]) for c in classes for r in rng.sample(by_class[c], per_class)]
    rotated = {c: classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}

    def row(i: int, text: str, label: str) -> dict[str, Any]:
        deck = decks[(label, i % 2)] or decks[(label, 1 - i % 2)]
        examples = rng.sample(deck, min(shots, len(deck)))
        return {"id": f"{label}-{i}", "input_id": label, "inputs": {"label": label}, "output": text, "label": label,
                "examples": examples}  # fmt: skip

    return {
        "help": [row(i, text, c) for i, (c, text) in enumerate(drawn)],
        "hurt": [row(i, text, rotated[c]) for i, (c, text) in enumerate(drawn)],
        "noise": [row(i, _letters(len(text), rng, language), c) for i, (c, text) in enumerate(drawn)],
    }


def _letters(length: int, rng: random.Random, language: str) -> str:
    """Words of random letters, about `length` characters in all: Hangul syllables for Korean, a-z otherwise."""
    hangul = language == "ko"
    letter = (lambda: chr(rng.randint(0xAC00, 0xD7A3))) if hangul else (lambda: rng.choice(string.ascii_lowercase))
    words, size = [], 0
    while size < max(4, length):
        word = "".join(letter() for _ in range(rng.randint(2, 5 if hangul else 8)))
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def _gain(real: list[dict], rows: list[dict[str, Any]], test: list[dict], embedder: Embedder, base: dict) -> dict:
    added = [{"text": str(r["output"]), "label": r["label"]} for r in rows]
    if not added:
        return dict.fromkeys(CLASSIFIERS, 0.0)
    return {c: 100 * (train_and_score(c, real + added, test, embedder)[0] - base[c]) for c in CLASSIFIERS}


def check_gate(
    name: str,
    rows: list[dict[str, str]],
    gate_for: Callable[[list[dict[str, str]], int], Any],
    embedder: Embedder,
    seeds: list[int],
    k: int,
    per_class: int,
    test_size: int,
    language: str = "en",
    done: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[KnownRun]:
    """Every kind of set on every seed through the gate of `gate_for(real, seed)` (a `LabelledRun` on those real
    examples as its pool). Each run is appended to `done` (a JSONL file) as it finishes; runs already there are
    read back, not run again."""
    finished = {}
    if done is not None and done.exists():
        for line in done.read_text(encoding="utf-8").splitlines():
            run = KnownRun(**json.loads(line))
            finished[(run.data, run.seed, run.kind)] = run
    pool, test = split(rows, test_size)
    runs = []
    for seed in seeds:
        real = draw(pool, k, seed)
        taken = {r["text"] for r in real}
        gate = gate_for(real, seed)
        sets = known_sets(gate.pool, [r for r in pool if r["text"] not in taken], per_class, seed, language=language)
        base = None
        for kind in KINDS:
            if (name, seed, kind) in finished:
                runs.append(finished[(name, seed, kind)])
                continue
            base = base or {c: train_and_score(c, real, test, embedder)[0] for c in CLASSIFIERS}
            verdict = gate.gate(sets[kind])
            run = KnownRun(
                name,
                seed,
                kind,
                len(sets[kind]),
                len(verdict.kept),
                _gain(real, sets[kind], test, embedder, base),
                _gain(real, verdict.kept, test, embedder, base),
                verdict.line,
                {"validation": verdict.validation, "label_check": gate.checked},
            )
            runs.append(run)
            if done is not None:
                with done.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(run)) + "\n")
            log(f"{name} seed {seed} {kind}: {run.effect:+.1f} points, saved {run.saved} of {run.rows}")
    return runs


def summary(runs: list[KnownRun]) -> dict[str, Any]:
    """The gate's goals over `runs`: of the runs whose rows help by more than `EFFECT` points, the share
    saved and the share of their gain kept; of those that hurt by more, the share where what was saved loses at
    most `LOSS_ALLOWED`."""
    helpful = [r for r in runs if r.effect > EFFECT]
    harmful = [r for r in runs if r.effect < -EFFECT]
    gain = sum(r.effect for r in helpful)
    return {
        "help runs": len(helpful),
        "help saved": sum(r.saved > 0 for r in helpful) / len(helpful) if helpful else None,
        "gain kept": sum(r.saved_effect for r in helpful) / gain if gain else None,
        "hurt runs": len(harmful),
        "hurt safe": sum(r.saved_effect >= -LOSS_ALLOWED for r in harmful) / len(harmful) if harmful else None,
    }


def table(runs: list[KnownRun]) -> str:
    """Per data set and kind: each seed's gain of all rows and of what was saved, then the goals, per data set and
    over all."""
    lines = [
        "| data | rows | per seed: gain of all rows (mean of TF-IDF and MiniLM, points) | saved | "
        "per seed: gain of what was saved |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for data in dict.fromkeys(r.data for r in runs):
        for kind in KINDS:
            group = [r for r in runs if r.data == data and r.kind == kind]
            if group:
                lines.append(
                    f"| {data} | {kind} | {', '.join(f'{r.effect:+.1f}' for r in group)} | "
                    f"{sum(r.saved > 0 for r in group)} of {len(group)} | "
                    f"{', '.join(f'{r.saved_effect:+.1f}' for r in group)} |"
                )
    lines += ["", "| data | helpful runs | saved | gain kept | harmful runs | saved rows lose at most 1 point |"]
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    groups = {data: [r for r in runs if r.data == data] for data in dict.fromkeys(r.data for r in runs)}
    for data, group in {**groups, "all": runs}.items():
        s = summary(group)
        lines.append(
            f"| {data} | {s['help runs']} | {_share(s['help saved'])} | {_share(s['gain kept'])} | "
            f"{s['hurt runs']} | {_share(s['hurt safe'])} |"
        )
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
