"""Decode slots sized by the model: its keys and values against the device's free memory, up to the device's most."""

import chains.local.sizing as sizing
from chains.local.sizing import MAX_SLOTS, MIN_SLOTS, SLOT_TOKENS, decode_slots, kv_bytes_per_token


def test_a_token_s_keys_and_values_come_from_the_config(tiny):
    # 2 layers x 2 key/value heads x head dim 8 (32 / 4 heads), keys and values, float32
    assert kv_bytes_per_token(tiny) == 2 * 2 * 2 * 8 * 4


def test_slots_are_the_device_s_most_where_memory_allows_and_fewer_where_not(tiny, monkeypatch):
    per_slot = kv_bytes_per_token(tiny) * SLOT_TOKENS
    monkeypatch.setattr(sizing, "free_memory", lambda device: 10**12)
    assert decode_slots(tiny) == MAX_SLOTS["cpu"]
    monkeypatch.setattr(sizing, "free_memory", lambda device: 40 * per_slot)  # a quarter of it holds 10 slots
    assert decode_slots(tiny) == 10
    monkeypatch.setattr(sizing, "free_memory", lambda device: per_slot)
    assert decode_slots(tiny) == MIN_SLOTS
    monkeypatch.setattr(sizing, "free_memory", lambda device: None)
    assert decode_slots(tiny) == MAX_SLOTS["cpu"]


def test_this_machine_reports_its_free_memory(tiny):
    free = sizing.free_memory(tiny.get_input_embeddings().weight.device)
    assert free is not None and free > 0
