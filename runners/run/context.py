"""Inputs the model cannot read whole are refused before the model loads, naming the row and the limit."""

from __future__ import annotations

from typing import Any

from chains import Task, build_prompt
from chains.prompts import render_messages
from runners.run.inputs import InputError, Inputs


def check_context(task: Task, inputs: Inputs, tokenizer: Any, context: int, answer_tokens: int, shots: int) -> None:
    """Refuse the first input whose prompt (with the task's `shots` longest examples) and answer exceed `context`."""
    longest = sorted(task.examples, key=lambda e: -sum(len(v) for v in e.values()))[:shots]
    blank = {v: "" for v in task.input_variables}
    prompt = render_messages(build_prompt(task, examples=longest).invoke(blank).to_messages(), tokenizer)
    overhead = len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) + answer_tokens
    for input_id, values in inputs.rows.items():
        text = " ".join(values.get(v, "") for v in task.input_variables)
        need = overhead + len(tokenizer(text, add_special_tokens=False)["input_ids"])
        if need > context:
            where = f"input row {inputs.lines[input_id]}" if input_id in inputs.lines else f"input {input_id!r}"
            raise InputError(
                f"{where} needs {need} tokens with its prompt and answer, past the model's context "
                f"of {context}; shorten or split that text"
            )
