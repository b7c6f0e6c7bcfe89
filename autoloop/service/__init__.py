"""The long-running service: HTTP API with tokens, study runners, and the worker entry point."""

from autoloop.service._app import create_app
from autoloop.service._auth import TokenInfo, check_token, create_token
from autoloop.service._optuna import export_study, study_storage
from autoloop.service._plugins import load_plugins
from autoloop.service._records import StudyRecords
from autoloop.service._worker import WorkerOptions, run_workers

__all__ = [
    "StudyRecords", "TokenInfo", "WorkerOptions", "check_token", "create_app", "create_token", "export_study", "load_plugins", "run_workers",
    "study_storage",
]
