"""The knowledge base: ingesting files and websites, and searching what was ingested."""
