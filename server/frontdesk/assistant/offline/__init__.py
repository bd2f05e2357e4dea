"""The offline engine: keyword intents, guided dialogues and knowledge-base answers, no LLM."""
