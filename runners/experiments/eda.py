"""EDA-style augmentation (Wei and Zou, 2019) without word lists: random swap, deletion and insertion.

Synonym replacement is left out, and insertion repeats a word of the sentence itself, because both would
otherwise need WordNet. This is the classic baseline that synthaug's rows are compared with.
"""

from __future__ import annotations

import random

OPERATIONS = ("swap", "delete", "insert")


def eda(text: str, rng: random.Random, alpha: float = 0.1) -> str:
    """One augmented copy of `text`: one operation, chosen at random, changing about `alpha` of its words."""
    words = text.split()
    if len(words) < 2:
        return text
    changes = max(1, int(alpha * len(words)))
    operation = rng.choice(OPERATIONS)
    if operation == "swap":
        for _ in range(changes):
            i, j = rng.sample(range(len(words)), 2)
            words[i], words[j] = words[j], words[i]
    elif operation == "delete":
        kept = [w for w in words if rng.random() > alpha]
        words = kept or [rng.choice(words)]
    else:
        for _ in range(changes):
            words.insert(rng.randrange(len(words) + 1), rng.choice(words))
    return " ".join(words)
