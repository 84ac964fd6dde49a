"""video-gen: text prompts and code repositories into AI-generated videos."""

__version__ = "0.1.0"
