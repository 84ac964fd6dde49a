"""The use cases: whole flows a command runs, in the core, so no command calls another.

* ``batch``      a flow file -> validated items -> estimate and budget -> the batch engine -> result
                 (``video-gen batch``, ``prompt-from-repo --generate``, ``video-gen film``)
* ``storyboard`` a repository's storyboard written beside its clips under a content-hash name
* ``film``       a plan rendered through ``batch`` (or clip by clip with ``--chain``), then joined
                 into one MP4 with title cards (``video_gen/film/``)
* ``gallery``    the ledger as one self-contained HTML page

Each takes a ``Session`` (config, ledger, budget, providers: what the CLI assembles) and reports
through callbacks; none prints, imports typer or rich, or raises ``typer.Exit``.
"""
