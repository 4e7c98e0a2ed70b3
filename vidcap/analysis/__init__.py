"""Analysis: decode, shots, CNN features, perception and the facts per shot."""
