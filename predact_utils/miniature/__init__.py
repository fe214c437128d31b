"""The embedded miniature model family: tokenizer, Base LMs, and their SFT, DPO and RLHF versions.

Trained on this machine's CPU by ``make miniature`` from the corpora of
:mod:`predact_utils.data.corpora`; every checkpoint is an ordinary Hugging Face
directory under ``data/models/``. See ``book/miniature.md`` and each model's card.
"""
