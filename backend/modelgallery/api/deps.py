"""Dependencies as named aliases, one per service; route handlers only declare them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..core.settings import Settings
from ..services import owners
from ..services.accounts import AccountService
from ..services.admin import AdminService
from ..services.comparison import Comparison
from ..services.contact import ContactService
from ..services.container import Services
from ..services.drift import DriftService
from ..services.feedback import FeedbackService
from ..services.intake import Intake
from ..services.model_manager import ModelManager
from ..services.models import ModelCatalog
from ..services.predictions import PredictionService
from ..services.releases import Releases as ReleaseService
from ..services.replays import Replays as ReplayService
from ..services.second_opinion import SecondOpinion
from ..services.status import StatusService
from ..services.version_intake import VersionIntake
from ..store.records import Role, User
from .errors import ApiError

SESSION_COOKIE = "mg_session"
_bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# Every dependency here is `async def`, however trivial: FastAPI runs a plain `def` one in
# a thread pool, a hop between threads per dependency per request.
async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


_AllServices = Annotated[Services, Depends(_services)]


async def _settings(services: _AllServices) -> Settings:
    return services.settings


async def _intake(services: _AllServices) -> Intake:
    return services.intake


async def _model_versions(services: _AllServices) -> ModelManager:
    return services.model_manager


async def _version_uploads(services: _AllServices) -> VersionIntake:
    return services.version_intake


async def _predictions(services: _AllServices) -> PredictionService:
    return services.predictions


async def _models(services: _AllServices) -> ModelCatalog:
    return services.models


async def _accounts(services: _AllServices) -> AccountService:
    return services.accounts


async def _admin(services: _AllServices) -> AdminService:
    return services.admin


async def _contact(services: _AllServices) -> ContactService:
    return services.contact


async def _status(services: _AllServices) -> StatusService:
    return services.status


async def _drift(services: _AllServices) -> DriftService:
    return services.drift


async def _feedback(services: _AllServices) -> FeedbackService:
    return services.feedback


async def _releases(services: _AllServices) -> ReleaseService:
    return services.releases


async def _replays(services: _AllServices) -> ReplayService:
    return services.replays


async def _comparison(services: _AllServices) -> Comparison:
    return services.comparison


async def _second_opinion(services: _AllServices) -> SecondOpinion:
    return services.second_opinion


AppSettings = Annotated[Settings, Depends(_settings)]
Uploads = Annotated[Intake, Depends(_intake)]
ModelVersions = Annotated[ModelManager, Depends(_model_versions)]
VersionUploads = Annotated[VersionIntake, Depends(_version_uploads)]
Predictions = Annotated[PredictionService, Depends(_predictions)]
Models = Annotated[ModelCatalog, Depends(_models)]
Accounts = Annotated[AccountService, Depends(_accounts)]
Admin = Annotated[AdminService, Depends(_admin)]
Contact = Annotated[ContactService, Depends(_contact)]
Status = Annotated[StatusService, Depends(_status)]
Releases = Annotated[ReleaseService, Depends(_releases)]
Replays = Annotated[ReplayService, Depends(_replays)]
Comparisons = Annotated[Comparison, Depends(_comparison)]
SecondOpinions = Annotated[SecondOpinion, Depends(_second_opinion)]
Drift = Annotated[DriftService, Depends(_drift)]
Feedback = Annotated[FeedbackService, Depends(_feedback)]


def token_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """A bearer token, else the session cookie (which lets <img> and <video> load results)."""
    if credentials is not None:
        return credentials.credentials
    return request.cookies.get(SESSION_COOKIE)


async def read_login(request: Request, accounts: Accounts, credentials: Bearer) -> User | None:
    token = token_of(request, credentials)
    if not token:
        return None
    return await accounts.user_for_token(token)


OptionalUser = Annotated[User | None, Depends(read_login)]


async def need_login(user: OptionalUser) -> User:
    if user is None:
        raise ApiError(401, "please log in first", {"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(need_login)]


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise ApiError(403, "this page is for administrators only")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def client_address(request: Request) -> str:
    # Behind nginx, uvicorn's --proxy-headers has already put the real client here.
    return request.client.host if request.client else "unknown"


async def _client_address(request: Request) -> str:
    return client_address(request)


ClientAddress = Annotated[str, Depends(_client_address)]


def owner_token(request: Request) -> str | None:
    """The anonymous visitor's owner token (services/owners.py): the header API clients
    send, else the browser's cookie."""
    return owners.well_formed(
        request.headers.get(owners.OWNER_HEADER) or request.cookies.get(owners.OWNER_COOKIE)
    )


async def _owner_token(request: Request) -> str | None:
    return owner_token(request)


Owner = Annotated[str | None, Depends(_owner_token)]
