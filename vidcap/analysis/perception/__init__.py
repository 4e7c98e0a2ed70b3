"""Perception: cheap per-frame measurements taken during the one decode pass (people, motion,
colour, text), and the per-shot and per-video findings built from them."""
