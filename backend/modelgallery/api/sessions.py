"""What the account routes need of a request beside the user: the session its token
belongs to, who is asking (address and browser), and the site's address for links sent by
mail."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request

from ..services.accounts import Client, Login
from .deps import Accounts, Bearer, ClientAddress, token_of
from .errors import ApiError

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")


async def read_session(request: Request, accounts: Accounts, credentials: Bearer) -> Login:
    token = token_of(request, credentials)
    if not token:
        raise ApiError(401, "please log in first", {"WWW-Authenticate": "Bearer"})
    return await accounts.login_for_token(token)


CurrentLogin = Annotated[Login, Depends(read_session)]


def request_client(request: Request, address: ClientAddress) -> Client:
    return Client(address, request.headers.get("user-agent"))


RequestClient = Annotated[Client, Depends(request_client)]


def link_origin(request: Request) -> str:
    """Where links in mails point when PUBLIC_URL is unset: the page's origin as the
    browser names it (nginx passes the host without its port), else the API's address."""
    origin = request.headers.get("origin", "")
    if _ORIGIN.fullmatch(origin):
        return origin
    return str(request.base_url).rstrip("/")


LinkOrigin = Annotated[str, Depends(link_origin)]
