"""The MLAgentBench problems as presets of the CSV task: file, target, metric, background."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoloop.tasks.mlpipeline._data import field_glossary, find_file
from autoloop.tasks.mlpipeline._problem import Problem

SUBFOLDER = "mlagentbench"


@dataclass(frozen=True)
class Preset:
    """A fixed CSV problem, found by file name in the data directory (or its ``mlagentbench/``).

    Args:
        filename: The Kaggle train CSV.
        target: The column to predict.
        metric: The metric (see ``METRICS``).
        title: What the background calls the problem.
        goal: One sentence: what to predict.
        notes: Column meanings added to the background.
        glossary: A data description file next to the CSV whose field lines the background adds.
    """

    filename: str
    target: str
    metric: str
    title: str
    goal: str
    notes: str = ""
    glossary: str | None = None

    def problem(self, data: Path | None) -> Problem:
        """The problem on the CSV that ``data`` (a directory or the file) holds.

        Raises:
            DataError: The CSV is missing; the message names the file and the fix.
        """
        hint = (
            f"download the Kaggle train CSV {self.filename} and pass --data FOLDER pointing at it "
            "(or set AUTOLOOP_DATA where the study is created: on the service for `autoloop submit`)"
        )
        path = find_file(data, self.filename, folders=(SUBFOLDER,), hint=hint)
        notes = self.notes
        glossary = field_glossary(path.parent / self.glossary) if self.glossary else ""
        if glossary:
            notes += f"Column meanings (NA usually means 'none'):\n{glossary}\n"
        return Problem(path, self.target, self.metric, self.title, self.goal, notes)


SPACESHIP_COLUMNS = """\
Column meanings: PassengerId is gggg_pp (group gggg, member pp; groups often travel together);
HomePlanet and Destination are planets; CryoSleep means confined to the cabin the whole trip;
Cabin is deck/num/side (side P = port, S = starboard); Age; VIP; RoomService, FoodCourt,
ShoppingMall, Spa, VRDeck are amounts billed at each amenity; Name is first and last name.
"""

PRESETS = {
    "spaceship-titanic": Preset(
        "spaceship_titanic_train.csv", "Transported", "accuracy",
        title='the Kaggle problem "Spaceship Titanic" (from MLAgentBench)',
        goal="Predict for each passenger whether they were transported to another dimension (Transported, True/False).",
        notes=SPACESHIP_COLUMNS,
    ),
    "house-prices": Preset(
        "house_prices_train.csv", "SalePrice", "rmse_log",
        title='the Kaggle problem "House Prices" (from MLAgentBench)',
        goal="Predict the sale price in dollars (SalePrice) of each house in Ames, Iowa.",
        glossary="house_prices_data_description.txt",
    ),
}
