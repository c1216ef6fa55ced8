"""The services of one running app, built by the app factory and handed to the routes
through named dependencies (`api/deps.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.settings import Settings
from .account_links import AccountLinks
from .accounts import AccountService
from .admin import AdminService
from .comparison import Comparison
from .contact import ContactService
from .drift import DriftService
from .feedback import FeedbackService
from .intake import Intake
from .model_manager import ModelManager
from .models import ModelCatalog
from .predictions import PredictionService
from .releases import Releases
from .replays import Replays
from .second_opinion import SecondOpinion
from .status import StatusService
from .version_intake import VersionIntake


@dataclass(frozen=True)
class Services:
    settings: Settings
    intake: Intake
    predictions: PredictionService
    models: ModelCatalog
    accounts: AccountService
    account_links: AccountLinks
    admin: AdminService
    contact: ContactService
    status: StatusService
    model_manager: ModelManager
    version_intake: VersionIntake
    releases: Releases
    replays: Replays
    comparison: Comparison
    second_opinion: SecondOpinion
    drift: DriftService
    feedback: FeedbackService
