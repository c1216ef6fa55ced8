"""The services of one running app, built by the app factory and handed to the routes
through named dependencies (`api/deps.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.settings import Settings
from .accounts import AccountService
from .admin import AdminService
from .contact import ContactService
from .intake import Intake
from .model_manager import ModelManager
from .models import ModelCatalog
from .predictions import PredictionService
from .status import StatusService
from .version_intake import VersionIntake


@dataclass(frozen=True)
class Services:
    settings: Settings
    intake: Intake
    predictions: PredictionService
    models: ModelCatalog
    accounts: AccountService
    admin: AdminService
    contact: ContactService
    status: StatusService
    model_manager: ModelManager
    version_intake: VersionIntake
