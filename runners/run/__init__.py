"""The run: inputs, quotas, sampling, answer checks and the durable store, from a run spec to saved rows."""
