"""Checks on answers: parsers, cleaning, source fidelity, dedup, label judges and the embeddings they share."""
