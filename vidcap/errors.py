class VidcapError(Exception):
    """A problem with the user's input or environment, reported as one line without a traceback."""


class BadVideo(VidcapError):
    """The input file itself cannot be described (missing, empty, corrupt, no video stream):
    trying again is useless until the file changes."""
