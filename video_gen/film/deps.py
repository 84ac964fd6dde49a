"""The optional libraries a film needs, and the exact line that installs them.

PyAV (``av``) binds FFmpeg and its wheels bundle the codecs (H.264 via libx264, AAC), so no
system ffmpeg is needed; Pillow draws the title cards. Both come with the ``film`` extra.
"""

from __future__ import annotations

from types import ModuleType

from video_gen.errors import MissingDependencyError

INSTALL_LINE = "pip install 'video-gen[film]'"


def require_av(purpose: str = "joining clips into a film") -> ModuleType:
    """The ``av`` module, or MissingDependencyError (exit 12) naming the install line."""
    try:
        import av
    except ImportError:
        raise MissingDependencyError(
            f"{purpose} needs PyAV (the FFmpeg binding), which is not installed",
            hint=INSTALL_LINE,
        ) from None
    return av


def require_pillow(purpose: str = "drawing title cards") -> ModuleType:
    try:
        import PIL.Image
    except ImportError:
        raise MissingDependencyError(
            f"{purpose} needs Pillow, which is not installed", hint=INSTALL_LINE
        ) from None
    return PIL.Image


def available() -> bool:
    """Whether both are importable (the emulator and the gallery fall back without them)."""
    try:
        import av  # noqa: F401  (imported to find out whether it can be)
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True
