"""The in-process model runtime: loading, the slot decoder, no-copy decoding, answer ends and serving."""
