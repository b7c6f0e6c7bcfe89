"""AskTellGridSampler: Optuna's grid sampler for studies driven by ask/tell."""

from __future__ import annotations

from collections.abc import Sequence

import optuna


class AskTellGridSampler(optuna.samplers.GridSampler):
    """``GridSampler`` without its ``study.stop()`` once the grid is covered.

    ``Study.stop`` only works inside ``study.optimize``; the controller drives its study by
    ask/tell and ends the search itself when every setting was tried, so stopping here would
    only raise.
    """

    def after_trial(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Nothing to do after a trial (the base class would stop the study)."""
