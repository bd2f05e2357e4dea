"""Making the assistant better from its own conversations: feedback, evaluations, fine-tuning."""
