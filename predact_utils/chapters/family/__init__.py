"""Chapter 01: the miniature family (the book's default models, read from their model cards)."""

from predact_utils.chapters.family.chapter import (
    Results,
    Settings,
    behaviour_table,
    claim_records,
    figures,
    lengths_table,
    loss_marks_table,
    numbers,
    overview_table,
    print_examples,
    run,
    sizes_table,
    validation_table,
)

__all__ = ["Results", "Settings", "behaviour_table", "claim_records", "figures", "lengths_table",
           "loss_marks_table", "numbers", "overview_table", "print_examples", "run", "sizes_table",
           "validation_table"]
