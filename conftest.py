"""Make ``pytest --nbval book/`` apply the project's sanitize rules from any directory."""

from pathlib import Path

SANITIZE = Path(__file__).with_name("nbval-sanitize.cfg")


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
