"""`gate-check`: row sets of known effect are built as the gate would see generated rows, and counted by the
gate's goals."""

import json

import pytest

from chains.checks.classifiers import Embedder
from chains.selectors import halves
from runners.cli import main
from runners.experiments.known import KnownRun, check_gate, known_sets, summary, table
from tests.fakes import toy_embed

CLASSES = ("cold", "hot", "wet")
POOL = [{"id": f"ex-{c}-{i}", "text": f"{c} example {i}", "label": c} for c in CLASSES for i in range(10)]
OTHERS = [{"text": f"{c} other row {i}", "label": c} for c in CLASSES for i in range(60)]


def test_help_hurt_and_noise_share_their_rows_and_shots_but_not_their_labels():
    sets = known_sets(POOL, OTHERS, per_class=8, seed=3)
    assert [len(sets[kind]) for kind in ("help", "hurt", "noise")] == [24, 24, 24]
    half = halves(POOL, 3)
    for help_row, hurt_row, noise_row in zip(sets["help"], sets["hurt"], sets["noise"]):
        assert help_row["output"].split()[0] == help_row["label"]  # the right class
        assert hurt_row["output"] == help_row["output"]
        assert hurt_row["label"] == CLASSES[(CLASSES.index(help_row["label"]) + 1) % 3]  # rotated
        assert noise_row["label"] == help_row["label"] and "row" not in noise_row["output"].split()
        for row in (help_row, hurt_row, noise_row):
            # each row's shots: 4 examples of one half of the class it is labelled with, as the selector deals them
            shown = [e for e in POOL if e["id"] in row["examples"]]
            assert len(shown) == 4 and {e["label"] for e in shown} == {row["label"]}
            assert len({half[e["id"]] for e in shown}) == 1
    assert {r["label"] for r in sets["help"]} == set(CLASSES)
    # both halves of every class are used, and a seed draws the same sets again
    assert {(r["label"], half[r["examples"][0]]) for r in sets["help"]} == {(c, h) for c in CLASSES for h in (0, 1)}
    assert known_sets(POOL, OTHERS, per_class=8, seed=3) == sets


def test_korean_noise_is_hangul_and_too_few_rows_is_an_error():
    korean = known_sets(POOL, OTHERS, per_class=2, seed=0, language="ko")["noise"]
    assert all("\uac00" <= ch <= "\ud7a3" for row in korean for ch in row["output"].replace(" ", ""))
    with pytest.raises(ValueError, match="class 'cold' has fewer than 61 real rows"):
        known_sets(POOL, OTHERS, per_class=61, seed=0)


def run(kind, effect, saved_effect, saved=40, seed=0):
    return KnownRun("d", seed, kind, 80, saved, {"a": effect, "b": effect}, {"a": saved_effect, "b": saved_effect})


def test_the_goals_count_runs_by_their_real_effect():
    runs = [
        run("help", 10.0, 10.0),
        run("help", 6.0, 0.0, saved=0),
        run("help", 1.5, 0.0, saved=0),  # within 2 points: neither helpful nor harmful
        run("hurt", -20.0, 0.0, saved=0),
        run("hurt", -10.0, -5.0),
        run("noise", -3.0, -1.0),  # a loss of one point is allowed
        run("noise", 0.5, 0.5),
    ]
    assert summary(runs) == {
        "help runs": 2,
        "help saved": 0.5,
        "gain kept": 10 / 16,
        "hurt runs": 3,
        "hurt safe": 2 / 3,
    }
    printed = table(runs)
    assert "| d | help | +10.0, +6.0, +1.5 | 1 of 3 | +10.0, +0.0, +0.0 |" in printed
    assert "| all | 2 | 50% | 62% | 3 | 67% |" in printed


class KeepHelpful:
    """A gate that saves the rows whose text starts with their label (the help set), and counts its calls."""

    def __init__(self, real):
        self.pool = [{"id": f"p-{i}", **r} for i, r in enumerate(real)]
        self.calls, self.checked = 0, {"agreement": 1.0}

    def gate(self, rows):
        from runners.run.gate import Verdict

        self.calls += 1
        keep = all(r["output"].split()[0] == r["label"] for r in rows)
        return Verdict(rows if keep else [], [] if keep else rows)


def test_check_gate_scores_what_was_saved_and_resumes(tmp_path):
    data = [{"text": f"{c} day number {i}", "label": c} for c in CLASSES[:2] for i in range(120)]
    gates = []

    def gate_for(real, seed):
        gates.append(KeepHelpful(real))
        return gates[-1]

    done = tmp_path / "done.jsonl"
    runs = check_gate("toy", data, gate_for, Embedder(toy_embed), [0, 1], 4, 10, 40, done=done, log=lambda _: None)
    assert [(r.seed, r.kind, r.saved) for r in runs] == [
        (s, k, n) for s in (0, 1) for k, n in (("help", 20), ("hurt", 0), ("noise", 0))
    ]
    assert all(r.saved_gain == dict.fromkeys(r.saved_gain, 0.0) for r in runs if r.saved == 0)
    assert all(r.saved_gain == r.gain for r in runs if r.saved)
    assert sum(g.calls for g in gates) == 6 and len(done.read_text().splitlines()) == 6
    assert runs[0].evidence == {"validation": None, "label_check": {"agreement": 1.0}}
    # a second call reads the finished runs back and judges none again
    again = check_gate("toy", data, gate_for, Embedder(toy_embed), [0, 1], 4, 10, 40, done=done, log=lambda _: None)
    assert again == runs and sum(g.calls for g in gates) == 6


def test_an_unknown_data_set_is_a_one_line_error(capsys, tmp_path):
    assert main(["gate-check", "--data", "tweets,movies", "--workdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --data 'movies' is not a bundled data set; use rotten-tomatoes, tweets, chatbot-topics, "
        "chatbot-topics-ko, nsmc-ko"
    )


@pytest.mark.integration
def test_gate_check_puts_real_sets_through_the_real_gate(capsys, tmp_path):
    argv = ["gate-check", "--data", "chatbot-topics", "--k", "4", "--rows", "4", "--seeds", "1", "--first-seed", "7"]
    assert main([*argv, "--model", "smollm2-135m", "--workdir", str(tmp_path), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "| chatbot-topics | hurt |" in printed and "| all |" in printed
    runs = [json.loads(line) for line in (tmp_path / "smollm2-135m.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in runs] == ["help", "hurt", "noise"] and all(r["rows"] == 16 for r in runs)
    assert (tmp_path / "gate-check.md").read_text().count("| chatbot-topics |") == 4
