"""Joining clips into one film: normalised pictures and sound, title cards, transitions.

One module per concept (the use case that renders the clips first is ``usecases/film.py``):

* ``deps``        PyAV and Pillow, optional (``pip install 'video-gen[film]'``), imported on use
* ``look``        a style's film look: card colours, font, transitions, card timing (TOML data)
* ``plan``        the film's parts in order: opening card, intertitles, clips, closing card
* ``cards``       title cards drawn with Pillow; a card's length follows its words
* ``transitions`` iris, fade and cut, registered by name
* ``clips``       reading a clip: probe, frames fitted to the film's size and rate, its sound
* ``encode``      the deterministic H.264/AAC MP4 writer, written atomically
* ``join``        the streaming join: one part in memory at a time
* ``chain``       a clip's last frame fitted to the next clip's size (``film --chain``)

Imports neither typer nor rich; PyAV and Pillow only inside the functions that need them.
"""
