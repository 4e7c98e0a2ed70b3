"""Benchmarks: the main job on real footage, batch throughput, the narrator, and make fuzz."""
