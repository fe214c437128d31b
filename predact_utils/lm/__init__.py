"""The LM engine: models, the registry, chat templates, sampling, KV cache, scoring, statistics kernels, hidden states."""
