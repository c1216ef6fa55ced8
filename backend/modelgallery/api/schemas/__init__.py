"""Request and response bodies: what the API shows of the records. One module per area;
everything is importable from here."""

from .accounts import LoginIn, SignupIn, TokenOut, UserPublic, UserUpdateIn
from .admin import (
    AdminModelsOut,
    MessageRetryOut,
    ModelActionOut,
    ModelStorageOut,
    NodeModelOut,
    NodeOut,
    Percentiles,
    RegistryReloadOut,
    StatsDay,
    StatsModel,
    StatsOut,
    StorageSpace,
    SweepOut,
    WorkerOut,
)
from .common import ErrorOut, HealthOut, ReadyOut, errors, json_errors
from .jobs import (
    ArtifactPublic,
    DeletedOut,
    InputPublic,
    JobListOut,
    JobPublic,
    LegacyPredictionOut,
)
from .models import Batching, ModelPublic

__all__ = [
    "AdminModelsOut",
    "ArtifactPublic",
    "Batching",
    "DeletedOut",
    "ErrorOut",
    "HealthOut",
    "InputPublic",
    "JobListOut",
    "JobPublic",
    "LegacyPredictionOut",
    "LoginIn",
    "MessageRetryOut",
    "ModelActionOut",
    "ModelPublic",
    "ModelStorageOut",
    "NodeModelOut",
    "NodeOut",
    "Percentiles",
    "ReadyOut",
    "RegistryReloadOut",
    "SignupIn",
    "StatsDay",
    "StatsModel",
    "StatsOut",
    "StorageSpace",
    "SweepOut",
    "TokenOut",
    "UserPublic",
    "UserUpdateIn",
    "WorkerOut",
    "errors",
    "json_errors",
]
