"""prompt-from-repo: read a code repository and write a video prompt that tells its story.

The pipeline runs in stages, one module each, every stage a plain function over typed
dataclasses so it can be tested alone:

``scan``      which files to read (.gitignore, vendored folders, size, links out of the root)
``extract``   what each file defines (Python through ``ast``; JS/TS, Go, Rust, Java by pattern)
``metadata``  the project's name, description, README opening and recent commit subjects
``rank``      which symbols matter (PageRank over calls, bases, decorators, ``except`` types)
``concepts``  programming concepts found in the code, mapped to visual gags (``data/gags.toml``)
``compose``   a story template (``data/styles/*.toml``) filled in, cut into clips
``fit``       each clip's prompt fitted to a token budget level (o200k_base)
``cache``     per-file extraction results and whole-analysis results on disk
``pipeline``  ``build()``: all of the above, deterministic to the byte

Nothing here imports Typer or Rich, and nothing in a scanned repository is ever imported or run.
The entry point is :func:`video_gen.repoprompt.pipeline.build`.
"""
