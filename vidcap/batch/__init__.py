"""Batch: many videos into a folder: the driver, its workers and the journal."""
