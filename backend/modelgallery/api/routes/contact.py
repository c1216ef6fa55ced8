from __future__ import annotations

from fastapi import APIRouter

from ...contact.schemas import ContactIn, ContactOut
from ..deps import ClientAddress, Contact
from ..schemas import errors

router = APIRouter(
    prefix="/api", tags=["contact"], responses=errors(400, 422, 429, 503, 507)
)


@router.post("/contact", response_model=ContactOut, status_code=202)
async def contact(body: ContactIn, client: ClientAddress, service: Contact) -> ContactOut:
    """Send a message to the team. It is stored first, then mailed; if mail is down it is
    retried until it goes through."""
    message = await service.submit(body, client)
    return ContactOut.model_validate(message, from_attributes=True)
