"""``python -m candor_notifier``: the same command line as ``candor-notifier``."""

from candor_notifier.main import app

app(prog_name="candor-notifier")
