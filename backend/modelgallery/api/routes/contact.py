from __future__ import annotations

from fastapi import APIRouter

from ...contact.outbox import ContactForm
from ..deps import ClientAddress, Contact
from ..schemas import errors
from ..schemas.contact import ContactIn, ContactOut

router = APIRouter(prefix="/api", tags=["contact"], responses=errors(400, 422, 429, 503, 507))


@router.post("/contact", response_model=ContactOut, status_code=202)
async def contact(body: ContactIn, client: ClientAddress, service: Contact) -> ContactOut:
    """Send a message to the team. It is stored first, then mailed; if mail is down it is
    retried until it goes through."""
    form = ContactForm(body.name, str(body.email), body.subject, body.message)
    message = await service.submit(form, client)
    return ContactOut.model_validate(message, from_attributes=True)
