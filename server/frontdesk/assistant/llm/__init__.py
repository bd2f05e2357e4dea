"""The LLM engine: prompts, the provider client and its streaming path, tool-call rounds."""
