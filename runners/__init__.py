"""Files, command line, progress and resume around the chains."""
