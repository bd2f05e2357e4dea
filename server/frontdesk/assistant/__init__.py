"""The assistant: the engine protocols (base), engine selection, and its parts offline/, llm/, tools/."""
