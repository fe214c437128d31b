"""The data wing: evaluation corpora, prompts, prefixes, instruction and preference data."""
