"""Narration: the narrators (rules, LSTM), cues and the subtitle writers."""
