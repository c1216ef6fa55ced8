"""Dependencies as named aliases, one per service; route handlers only declare them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..core.settings import Settings
from ..services import owners
from ..services.account_links import AccountLinks
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
# a thread pool, a hop between threads per dependency per request. A service's takes the
# request itself: each level of sub-dependencies is solved again on every request.
def _of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _services(request: Request) -> Services:
    return _of(request)


_AllServices = Annotated[Services, Depends(_services)]  # for one that needs several


async def _settings(request: Request) -> Settings:
    return _of(request).settings


async def _intake(request: Request) -> Intake:
    return _of(request).intake


async def _model_versions(request: Request) -> ModelManager:
    return _of(request).model_manager


async def _version_uploads(request: Request) -> VersionIntake:
    return _of(request).version_intake


async def _predictions(request: Request) -> PredictionService:
    return _of(request).predictions


async def _models(request: Request) -> ModelCatalog:
    return _of(request).models


async def _accounts(request: Request) -> AccountService:
    return _of(request).accounts


async def _account_links(request: Request) -> AccountLinks:
    return _of(request).account_links


async def _admin(request: Request) -> AdminService:
    return _of(request).admin


async def _contact(request: Request) -> ContactService:
    return _of(request).contact


async def _status(request: Request) -> StatusService:
    return _of(request).status


async def _drift(request: Request) -> DriftService:
    return _of(request).drift


async def _feedback(request: Request) -> FeedbackService:
    return _of(request).feedback


async def _releases(request: Request) -> ReleaseService:
    return _of(request).releases


async def _replays(request: Request) -> ReplayService:
    return _of(request).replays


async def _comparison(request: Request) -> Comparison:
    return _of(request).comparison


async def _second_opinion(request: Request) -> SecondOpinion:
    return _of(request).second_opinion


AppSettings = Annotated[Settings, Depends(_settings)]
Uploads = Annotated[Intake, Depends(_intake)]
ModelVersions = Annotated[ModelManager, Depends(_model_versions)]
VersionUploads = Annotated[VersionIntake, Depends(_version_uploads)]
Predictions = Annotated[PredictionService, Depends(_predictions)]
Models = Annotated[ModelCatalog, Depends(_models)]
Accounts = Annotated[AccountService, Depends(_accounts)]
Links = Annotated[AccountLinks, Depends(_account_links)]
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
