"""Tiny randomly initialised models of each architecture, with a word-level tokenizer: real transformers code
paths in seconds. Token i is the word `w<i>`; 0 pads, 1 ends a sequence."""

import transformers

WINDOW = 16
VOCAB = 64
_COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=2,
    max_position_embeddings=256,
)
_SLIDING = dict(sliding_window=WINDOW)
CONFIGS = {
    "llama": lambda: transformers.LlamaConfig(**_COMMON),
    "mistral": lambda: transformers.MistralConfig(**_COMMON, **_SLIDING),
    "qwen2": lambda: transformers.Qwen2Config(**_COMMON, **_SLIDING, use_sliding_window=True, max_window_layers=1),
    "qwen3": lambda: transformers.Qwen3Config(
        **_COMMON, **_SLIDING, head_dim=8, use_sliding_window=True, max_window_layers=1
    ),
    "gemma": lambda: transformers.GemmaConfig(**_COMMON, head_dim=8),
    "gemma2": lambda: transformers.Gemma2Config(**_COMMON, **_SLIDING, head_dim=8),
    "gemma3_text": lambda: transformers.Gemma3TextConfig(**_COMMON, **_SLIDING, head_dim=8, sliding_window_pattern=2),
    "phi3": lambda: transformers.Phi3Config(**_COMMON, **_SLIDING),
    "gpt2": lambda: transformers.GPT2Config(
        vocab_size=VOCAB,
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=256,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    ),
    "gpt_neox": lambda: transformers.GPTNeoXConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
        max_position_embeddings=256,
    ),
    # Not driven by the slot decoder: it takes the generic path.
    "granite": lambda: transformers.GraniteConfig(**_COMMON),
}


def tiny_model(name, device="cpu", dtype=None):
    """The architecture's tiny model in eval mode, the same weights on every call."""
    import torch

    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(CONFIGS[name]())
    return model.to(device=device, dtype=dtype or torch.float32).eval()


def word_tokenizer():
    """A fast tokenizer with one token per word `w<i>`, left padding, `<pad>` 0 and `</s>` 1."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<pad>": 0, "</s>": 1, "<s>": 2, **{f"w{i}": i for i in range(3, VOCAB)}}
    words = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=words, pad_token="<pad>", eos_token="</s>", bos_token="<s>"
    )
    tokenizer.padding_side = "left"
    return tokenizer


def tiny_pipeline(name, device="cpu", batch_size=3, dtype=None):
    """A `LocalPipeline` on the architecture's tiny model."""
    from transformers import pipeline

    from chains import LocalPipeline

    pipe = pipeline("text-generation", model=tiny_model(name, device, dtype), tokenizer=word_tokenizer())
    return LocalPipeline(pipeline=pipe, model_id=f"tiny-{name}", batch_size=batch_size, seed=0)


def text(ids):
    return " ".join(f"w{i}" for i in ids)


PREFIX = list(range(3, 23))
"""A shared prompt prefix of 20 tokens: the decoders cache it, and it is longer than the window."""
SUFFIXES = [[30, 31], [32], [33, 34, 35, 36, 37], [38, 39, 40], [41]]
BUDGET = 24


def reference(model, ids, budget=BUDGET):
    """`model.generate`'s greedy answer to one prompt, up to its end-of-sequence token."""
    import torch

    prompt = torch.tensor([ids], device=model.device)
    with torch.inference_mode():
        out = model.generate(prompt, max_new_tokens=budget, do_sample=False, pad_token_id=0, eos_token_id=1)
    new = out[0, len(ids) :].tolist()
    return word_tokenizer().decode(new[: new.index(1)] if 1 in new else new, skip_special_tokens=True)


def check_both_paths(name, device="cpu"):
    """Greedy answers of the batch path and of continuous batching (prefix cache, 2 slots refilled, n = 2,
    work queued while results are out) equal `model.generate`'s, past the sliding window."""
    from collections import deque

    llm = tiny_pipeline(name, device)
    model = llm.pipeline.model
    ids = [PREFIX + s for s in SUFFIXES] + [[50] * 10 + [51] * 12]  # the last shares no prefix
    prompts = [text(i) for i in ids]
    expected = [reference(model, i) for i in ids]
    greedy = {"max_new_tokens": BUDGET, "do_sample": False}
    scored = llm.generate_scored(prompts, n=2, **greedy)
    assert [[t for t, _ in s] for s in scored] == [[e, e] for e in expected], name
    assert all(lp is not None and lp < 0 for s in scored for _, lp in s if _)
    queue = deque((i, p, 2, None, {}) for i, p in enumerate(prompts))
    got = {}
    for finished in llm.serve(lambda: queue.popleft() if queue else None, group=1, slots=2, **greedy):
        if not got:  # queued while the first results are out, as the run loop queues a retry
            queue.append(("retry", prompts[2], 1, None, {}))
        got.update({key: [t for t, _ in answers] for key, answers in finished})
    assert got == {**{i: [e, e] for i, e in enumerate(expected)}, "retry": [expected[2]]}, name
    return expected
