"""Warm start: what finished studies of the same task or family say about each setting of a new study.

**What a past study says.** Each past task's finished runs give each setting a score
(``_scores``: seed-adjusted, re-validation when present), turned into a normalized score on
that task: 1 for its best setting, 0 for its worst (``1 - normalized regret``). Tasks of
other families never count, nor studies of another owner (the caller passes only its own).

**How much a past study counts** (the rule): a past study of the same task counts as
``SAME_TASK_WEIGHT`` = 0.5 of one run of this study, one of another task of the family as
``FAMILY_WEIGHT`` = 0.25; a setting's prior weight is the sum over the past studies that
scored it, capped at ``MAX_WEIGHT`` = 0.75. So no past study, and not all of them together,
counts as much as one run of this study: a past run was made on other seeds, often with
another plan, and another task of the family may not share its best setting at all (the
leave-one-task-out check measures how often). A setting's own first run outweighs its prior;
after three seeds the prior is under a fifth of its estimate.

**What it changes.** (1) The first seeds: settings are tried in the order of their prior
score (best first; settings the prior does not know keep the study's seeded order after
them), which matters when a round does not fit the budget. (2) The estimates: a tried
setting's estimate becomes ``(n x + w y) / (n + w)``, its ``n`` seeds' estimate ``x``
blended with its prior ``y`` of weight ``w``, where ``y`` maps the prior score onto this
study's own scale: the grand mean plus the spread between settings beyond noise (``tau``,
the shrinkage's own) times the score's distance from the prior's mean score, so the prior's
favorite and its worst setting are one ``tau`` apart. A study that has measured no spread
beyond noise yet (one seed per setting, or settings that differ no more than their noise)
keeps its estimates: the prior never invents a scale; it then only orders (and settings whose runs tie exactly fall to the first in that order).
Simulated (``tests/defaults/test_prior.py``): a prior that ranks every setting backwards, at
the largest weight, costs at most 0.1 of the probability of picking the best setting; the
right one gains about as much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from autoloop.controller._defaults import SettingKey, normalized_regrets
from autoloop.controller._estimates import Estimates
from autoloop.controller._scores import TASK_KNOBS, evidence, portable_key, positional_knobs
from autoloop.tasks import TaskInfo, describe_task

SAME_TASK_WEIGHT = 0.5
FAMILY_WEIGHT = 0.25
MAX_WEIGHT = 0.75


@dataclass(frozen=True)
class Prior:
    """Prior scores of settings, keyed as ``_scores.portable_key`` keys the task knobs.

    Args:
        task: The new study's task.
        info: What it declares.
        positional: Knobs compared by position (the past tasks' declared values differ).
        scores: Setting key -> prior normalized score (1 = best on the past tasks).
        weights: Setting key -> prior weight, in runs of this study (< 1).
        studies: Past studies it rests on.
        same_task: Of which on the same task.
    """

    task: str
    info: TaskInfo
    positional: tuple[str, ...]
    scores: dict[SettingKey, float]
    weights: dict[SettingKey, float]
    studies: int
    same_task: int

    @classmethod
    def of(cls, past: Iterable[Mapping[str, Any]], task: str, infos: Mapping[str, TaskInfo]) -> Prior:
        """The prior of ``task`` from past recommendations (``Recommendation.to_dict()``) of the
        same owner; studies of other families are left out.

        Args:
            past: Finished studies' recommendations.
            task: The new study's task.
            infos: What ``task`` and every past study's task declare.
        """
        family = task.partition(":")[0]
        kin = [r for r in past if r["task"].partition(":")[0] == family]
        involved = {t: infos[t] for t in {task, *(r["task"] for r in kin)}}
        positional = positional_knobs(list(involved.values()))
        ev = evidence(kin, involved, positional=positional, knobs=TASK_KNOBS)
        totals: dict[SettingKey, float] = {}
        weights: dict[SettingKey, float] = {}
        for past_task, row in ev.table.items():
            weight = ev.studies[past_task] * (SAME_TASK_WEIGHT if past_task == task else FAMILY_WEIGHT)
            for key, regret in normalized_regrets(row, list(row)).items():
                totals[key] = totals.get(key, 0.0) + weight * (1 - regret)
                weights[key] = weights.get(key, 0.0) + weight
        scores = {k: totals[k] / weights[k] for k in totals}
        same = sum(n for t, n in ev.studies.items() if t == task)
        capped = {k: min(MAX_WEIGHT, w) for k, w in weights.items()}
        return cls(task, involved[task], positional, scores, capped, sum(ev.studies.values()), same)

    def key(self, settings: Mapping[str, Any]) -> SettingKey:
        """The prior's key of one of the new study's settings."""
        return portable_key({k: settings[k] for k in TASK_KNOBS if k in settings}, self.info, self.positional)

    def order(self, settings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """``settings`` with the prior's favorites first (a stable sort: the rest keep their order)."""
        return sorted(settings, key=lambda s: -self.scores.get(self.key(s), -1.0))

    def arms(self, settings: Sequence[Mapping[str, Any]]) -> dict[int, tuple[float, float]]:
        """Arm index into ``settings`` -> (prior score, weight), for the arms the prior knows."""
        keys = [self.key(s) for s in settings]
        return {a: (self.scores[k], self.weights[k]) for a, k in enumerate(keys) if k in self.scores}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what the recommendation reports ("started from N past studies")."""
        return {
            "studies": self.studies, "same_task": self.same_task, "family": self.studies - self.same_task,
            "rule": f"a past study of this task counts as {SAME_TASK_WEIGHT} run, one of another task of the family as "
            f"{FAMILY_WEIGHT}; at most {MAX_WEIGHT} run per setting in all",
            "text": f"started from {self.studies} past stud{'y' if self.studies == 1 else 'ies'} ({self.same_task} of this task)",
        }


def warm_prior(past: Sequence[Mapping[str, Any]], task: str, info: TaskInfo) -> Prior:
    """``Prior.of`` with every past task's declarations looked up (``info``: the new study's task's)."""
    family = task.partition(":")[0]
    infos = {r["task"]: describe_task(r["task"]) for r in past if r["task"] != task and r["task"].partition(":")[0] == family}
    return Prior.of(past, task, {**infos, task: info})


def blend(estimates: Estimates, arm_priors: Mapping[int, tuple[float, float]]) -> Estimates:
    """``estimates`` with each tried arm's shrunk mean blended with its prior (see the module docstring)."""
    if estimates.tau is None or estimates.grand is None or not estimates.tau or not arm_priors:
        return estimates  # no spread between settings beyond noise measured yet: the prior invents no scale
    known = [score for score, _ in arm_priors.values()]
    center = sum(known) / len(known)
    shrunk = dict(estimates.shrunk)
    for arm, (score, weight) in arm_priors.items():
        if arm in shrunk:
            n = estimates.seeds[arm]
            prior_mean = estimates.grand + estimates.tau * (score - center)
            shrunk[arm] = (n * shrunk[arm] + weight * prior_mean) / (n + weight)
    return replace(estimates, shrunk=shrunk)
