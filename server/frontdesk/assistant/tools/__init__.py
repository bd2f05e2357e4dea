"""The tools both engines call: specs, the toolbox, slot finding, proposals and cards."""
