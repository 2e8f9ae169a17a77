"""English word helpers shared by the fidelity and facts checks: function words and a noun's lemma."""

from __future__ import annotations

# Function words: a restatement may share them all and still say it in its own words.
STOPWORDS = frozenset(
    """a an the and or but if so as at by for from in into of on onto to with without about after before during
    over under up down out off than then there here this that these those it its it's i me my we us our you your
    he him his she her they them their is are was were be been being am do does did done have has had having will
    would shall should can could may might must just very too also all any some each every both few more most
    other such own same only again once what which who whom whose when where why how while until because""".split()
)
_IRREGULAR = {"people": "person", "persons": "person", "children": "child", "men": "man", "women": "woman"}
_IRREGULAR |= {"feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose"}


def lemma(word: str) -> str:
    """One form for a noun's singular and plural, so "hours"/"hour" and "cities"/"city" are one lemma
    ("minute" and "minutes" both give "minut": the form is a key to compare, not a word to show)."""
    word = word.lower().replace("’", "'").removesuffix("'s").removesuffix("'")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ie"):
        word = word[:-2] + "y"
    elif len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 2 and word.endswith("f") and not word.endswith("ff"):  # "loaf" and "loaves", "knife" and "knives"
        word = word[:-1] + "v"
    return word
