"""The cached runs over the engine: the artifact cache, cached generations, scores and states."""
