"""`vagrantkit bench`: measure how fast each synced folder really is.

``runner.py`` is the stdlib-only file sent into guests; the rest runs on the host: ``targets`` (what to
measure), ``transport`` (where the runner runs), ``stats`` (numbers from raw samples), ``core``
(``run_bench``), ``report`` (table, CSV, JSON, plot, recommendation).
"""
