"""vidcap: describe what is on screen, when, as subtitles."""

__version__ = "0.1.0"
