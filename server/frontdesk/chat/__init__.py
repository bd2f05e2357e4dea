"""The chat: the visitor socket, the socket skeleton, frames, turns, status and moderation."""
