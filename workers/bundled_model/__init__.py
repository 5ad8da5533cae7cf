"""The project's own offline toxicity model: a fine-tuned delta on all-MiniLM-L6-v2 and its build step."""
