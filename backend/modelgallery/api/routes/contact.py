from __future__ import annotations

from fastapi import APIRouter, Request

from ...contact.schemas import ContactIn, ContactOut
from ..deps import Ctx, client_address
from ..errors import ApiError
from ..schemas import errors

router = APIRouter(prefix="/api", tags=["contact"], responses=errors(422, 429))


@router.post("/contact", response_model=ContactOut, status_code=202)
async def contact(body: ContactIn, request: Request, ctx: Ctx) -> ContactOut:
    """Send a message to the team. It is stored first, then mailed; if mail is down it is
    retried until it goes through."""
    client = client_address(request)
    wait = ctx.contact_throttle.blocked_for(client)
    if wait:
        raise ApiError(
            429,
            f"you have sent several messages already; please wait {wait // 60 + 1} minutes",
            {"Retry-After": str(wait)},
        )
    ctx.contact_throttle.hit(client)
    message = await ctx.outbox.submit(body, client)
    return ContactOut.model_validate(message, from_attributes=True)
