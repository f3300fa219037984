"""Demo conversations: a few emails per lead, so an export has messages to sync."""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from outreach.models import Account, Lead, Message

logger = logging.getLogger(__name__)

SENDER = "sdr@artisan-demo.example"

OUTBOUND_STEPS = [
    (
        "Quick idea for {company}",
        "Hi {first_name},\n\nI noticed {company} is growing its team. "
        "Would a 15-minute call next week be useful?\n\nBest,\nAva from Artisan",
    ),
    (
        "Re: Quick idea for {company}",
        "Hi {first_name}, following up on my note from last week. "
        "Happy to send a short summary instead if that is easier.",
    ),
    (
        "Last note from me",
        "Hi {first_name}, I will close the loop here. "
        "If timing changes, just reply to this email.",
    ),
]


@transaction.atomic
def seed_demo_messages(account: Account, *, per_lead: int = 3) -> int:
    """Give each lead of the account up to `per_lead` outbound emails; return how many were added.

    Identifiers are derived from the lead's id, so seeding twice adds nothing.
    """
    leads = Lead.objects.filter(campaign__account=account).order_by("pk")
    start = timezone.now() - timedelta(days=14)
    created = 0
    for lead in leads:
        for step, (subject, body) in enumerate(OUTBOUND_STEPS[:per_lead]):
            context = {
                "first_name": lead.first_name or "there",
                "company": lead.company_name or "your team",
            }
            _, was_created = Message.objects.get_or_create(
                message_identifier=f"<demo-{lead.pk}-{step}@artisan-demo.example>",
                defaults={
                    "lead": lead,
                    "channel": Message.Channel.EMAIL,
                    "direction": Message.Direction.OUTBOUND,
                    "subject": subject.format(**context),
                    "body_text": body.format(**context),
                    "from_address": SENDER,
                    "to_address": lead.email,
                    "sent_at": start + timedelta(days=3 * step, minutes=lead.pk),
                },
            )
            created += was_created
    logger.info(
        "Seeded %s demo messages for account %s",
        created,
        account.slug,
        extra={"account_id": account.pk},
    )
    return created
