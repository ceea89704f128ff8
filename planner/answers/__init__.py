"""Answers from a solved model: the ledger by plain arithmetic, verification, prices in a
person's terms, re-solved steps, the diagnosis of a plan that cannot be met, quick fits, and
one run end to end (`run`)."""
