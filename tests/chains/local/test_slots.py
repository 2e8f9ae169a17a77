"""Continuous batching on a tiny randomly initialised Llama: refilled slots give what generate gives."""

import pytest
import torch

from chains.local.jobs import Job
from chains.local.slots import SlotDecoder


def reference(model, prompt, budget, stop):
    with torch.inference_mode():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=budget, do_sample=False, pad_token_id=0)
    tokens = []
    for token in out[0, len(prompt) :].tolist():
        if token == 1:
            break
        tokens.append(token)
        if stop(tokens):
            break
    return tokens


PREFIX = [5, 6, 7, 8, 9, 10]
PROMPTS = [
    PREFIX + [11, 12],
    PREFIX + [13],
    PREFIX + [14, 15, 16, 17],
    PREFIX + [18, 19, 20],
    [21, 22, 23],
    PREFIX + [24],
]


@pytest.mark.parametrize(("slots", "slack"), [(2, 1), (3, 64), (8, 2)])
def test_refilled_slots_answer_as_generate_does(tiny, slots, slack):
    def stop(tokens):
        return len(tokens) >= (3 if tokens[0] % 3 == 0 else 9)

    queue = [Job(key=i, prompt=p) for i, p in enumerate(PROMPTS)]
    decoder = SlotDecoder(tiny, slots, 9, stop, {1}, pad=0, prefix=PREFIX, refill=1, slack=slack)
    finished = [job for group in decoder.run(lambda: queue.pop(0) if queue else None, group=2) for job in group]
    assert sorted(job.key for job in finished) == list(range(len(PROMPTS)))
    for job in finished:
        ((tokens, logprob),) = job.answers
        assert tokens == reference(tiny, PROMPTS[job.key], 9, stop), job.key
        assert logprob < 0


def test_work_queued_while_results_are_out_is_picked_up(tiny):
    queue = [Job(key=0, prompt=PROMPTS[0])]
    decoder = SlotDecoder(tiny, 4, 4, lambda tokens: False, set(), pad=0)
    seen = []
    for group in decoder.run(lambda: queue.pop(0) if queue else None, group=1):
        seen += [job.key for job in group]
        if len(seen) < 3:
            queue.append(Job(key=len(seen), prompt=PROMPTS[len(seen)]))  # a retry, queued from the results
    assert seen == [0, 1, 2]


def test_samples_of_one_job_are_drawn_apart_and_bans_hold(tiny):
    torch.manual_seed(1)
    ban = {(): list(range(2, 64))}  # with no-copy size 1 every token but 0 and 1 is banned after any run
    queue = [
        Job(key="s", prompt=PROMPTS[1], n=4, temperature=1.5),
        Job(key="b", prompt=PROMPTS[2], banned=ban, no_copy=1),
    ]
    decoder = SlotDecoder(tiny, 8, 5, lambda tokens: False, set(), pad=0)
    jobs = {job.key: job for group in decoder.run(lambda: queue.pop(0) if queue else None, group=8) for job in group}
    assert len(jobs["s"].answers) == 4 and len({tuple(t) for t, _ in jobs["s"].answers}) > 1
    ((tokens, _),) = jobs["b"].answers
    assert set(tokens) <= {0, 1}


def test_a_finished_job_does_not_wait_long_for_its_group(tiny, monkeypatch):
    """Rows reach the run file soon: a job that ended is handed over once it has waited `MAX_WAIT`, even
    when the group is not full and the queue has more work."""
    import chains.local.slots as slots

    def stop(tokens):
        return len(tokens) >= 2

    def groups(wait):
        monkeypatch.setattr(slots, "MAX_WAIT", wait)
        queue = [Job(key=i, prompt=p) for i, p in enumerate(PROMPTS)]
        decoder = SlotDecoder(tiny, 2, 9, stop, {1}, pad=0, refill=1)
        return [len(g) for g in decoder.run(lambda: queue.pop(0) if queue else None, group=len(PROMPTS))]

    assert max(groups(0.0)) <= 2  # handed over as they end (two slots)
    assert groups(3600.0)[0] > 2  # otherwise they wait for the group, or for the queue to run dry


def test_samples_of_one_job_share_one_prefill_and_the_clock_counts_it(tiny):
    """A job of n samples computes its prompt once and copies it to n slots; a near-zero temperature
    makes every sample the greedy answer, so the copies are exact."""
    from chains.local.clock import DecodeClock

    clock = DecodeClock()
    queue = [Job(key=0, prompt=PROMPTS[2], n=5, temperature=1e-6), Job(key=1, prompt=PROMPTS[3], n=3, temperature=1e-6)]
    decoder = SlotDecoder(tiny, 8, 6, lambda tokens: False, set(), pad=0, clock=clock)
    jobs = {job.key: job for group in decoder.run(lambda: queue.pop(0) if queue else None, group=8) for job in group}
    for key in (0, 1):
        expected = reference(tiny, PROMPTS[2 + key], 6, lambda tokens: False)
        assert [tokens for tokens, _ in jobs[key].answers] == [expected] * len(jobs[key].answers)
    width = max(len(PROMPTS[2]), len(PROMPTS[3]))
    assert (clock.prefill_passes, clock.prefill_tokens) == (1, 2 * width)  # two prompts, not eight
    assert clock.decode_tokens == 8 * 5 and clock.decode_steps == 5  # the first token comes from the prefill
    assert clock.prefill_s > 0 and clock.decode_s > 0


def test_a_prefill_pass_takes_distinct_prompts_up_to_its_size_with_all_their_samples():
    from chains.local.jobs import by_prompts

    a, b, c = (Job(key=k, prompt=[5]) for k in "abc")
    entering = [(a, 0), (a, 1), (a, 2), (b, 0), (c, 0), (c, 1)]
    assert list(by_prompts(entering, 2)) == [[(a, 0), (a, 1), (a, 2), (b, 0)], [(c, 0), (c, 1)]]


def test_prompts_of_two_kinds_keep_their_own_starts_and_answer_as_generate_does(tiny):
    system = list(range(2, 18))  # 16 tokens every prompt shares
    shots = {"statement": list(range(18, 36)), "question": list(range(36, 54))}  # 18 more each kind shares
    kinds = ["statement", "statement", "question", "question", "statement", "question"]  # passes of 2: s s, q q, s q
    prompts = [system + shots[kind] + [54 + i] for i, kind in enumerate(kinds)]
    queue = [Job(key=i, prompt=p) for i, p in enumerate(prompts)]
    decoder = SlotDecoder(tiny, 2, 4, lambda tokens: False, {1}, pad=0, prefix=system, refill=2)
    finished = [job for group in decoder.run(lambda: queue.pop(0) if queue else None, group=2) for job in group]
    for job in finished:
        assert job.answers[0][0] == reference(tiny, prompts[job.key], 4, lambda tokens: False), job.key
    assert sorted(len(start) for start in decoder.prefixes) == [16, 34, 34]  # the run's and each kind's start
    assert decoder._prefix_of(prompts[0:2]) == system + shots["statement"]  # a kind's own start, 18 past the run's
    assert decoder._prefix_of([prompts[3]]) == system + shots["question"]  # one kept before
    assert decoder._prefix_of(prompts[1:3]) == system  # two kinds: only the run's start
    assert decoder._prefix_of([system + shots["statement"][:5] + [99], prompts[0]]) == system  # 5 more: not worth it


def test_a_start_kept_before_is_reused_where_the_runs_own_is_a_few_tokens_longer(tiny):
    shared = list(range(2, 22))  # 20 tokens (a system message and the shots)
    prompts = [shared + [30, 40 + i] for i in range(3)]  # every text starts with the same word (30)
    kept: dict = {}

    def answer(texts: list[list[int]], prefix: list[int]) -> None:
        queue = [Job(key=i, prompt=p) for i, p in enumerate(texts)]
        decoder = SlotDecoder(tiny, 4, 3, lambda tokens: False, {1}, pad=0, prefix=prefix, prefixes=kept)
        for group in decoder.run(lambda: queue.pop(0) if queue else None, group=4):
            for job in group:
                assert job.answers[0][0] == reference(tiny, texts[job.key], 3, lambda tokens: False), job.key

    answer(prompts[:1], shared)  # one call keeps `shared`
    answer(prompts, shared + [30])  # the next call's own start is one token longer
    assert list(kept) == [tuple(shared)]  # computed once, not again one token longer
