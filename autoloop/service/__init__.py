"""The long-running service: HTTP API with tokens, study runners, and the worker entry point."""

from autoloop.service._app import create_app
from autoloop.service._auth import TokenInfo, check_token, create_token, list_tokens, revoke_token
from autoloop.service._operator import OperatorSettings
from autoloop.service._optuna import export_study, study_storage
from autoloop.service._plugins import load_plugins
from autoloop.service._records import StudyRecords
from autoloop.service._worker import WorkerOptions, run_workers

__all__ = [
    "OperatorSettings", "StudyRecords", "TokenInfo", "WorkerOptions", "check_token", "create_app", "create_token", "export_study",
    "list_tokens", "load_plugins", "revoke_token", "run_workers", "study_storage",
]
