"""``video-gen batch``: many videos from one file, concurrently, resumably, within budget.

The pipeline, one module per step (the CLI in ``video_gen/cli/batch_cmd.py`` only wires and
renders them):

* ``items``       read the file (.txt, .jsonl, .csv, stdin) into raw items; shape problems
* ``validate``    resolve each item's parameters, check them against the model, price them
* ``identity``    the batch id and each item's stable key (recorded with its ledger jobs)
* ``state``       resume decisions from the ledger: skip, re-attach, re-download, submit ...
* ``preflight``   the whole batch's estimate against the budget and ``--max-cost``
* ``concurrency`` the adaptive in-flight limit (AIMD on HTTP 429)
* ``runner``      the engine: worker threads driving ``jobs.JobRunner``, Ctrl-C, outcomes
* ``manifest``    the JSON file beside the videos, rewritten atomically on every change
* ``lock``        one run of a given batch at a time

See docs/batch.md. Imports neither typer nor rich.
"""
