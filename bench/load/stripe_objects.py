"""Stripe's objects as the load sends and the stand-in answers them (plain dicts, no library).

Imported by ``standin.py`` (server side) and by ``locustfile.py`` (Locust puts
this folder on ``sys.path``), so that the webhook events and the API agree.
"""


def payment_intent(tx, status, expanded_method=False):
    """The PaymentIntent of a load transaction (``tx``: a row of the run's manifest).

    Events carry the payment method's id; the API answers it expanded, as
    Odoo asks for it.
    """
    method = "pm_load"
    if expanded_method:
        method = {
            "id": method,
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242"},
        }
    return {
        "id": tx["intent_id"],
        "object": "payment_intent",
        "status": status,
        "amount": tx["amount"],
        "amount_received": tx["amount"] if status == "succeeded" else 0,
        "currency": tx["currency"],
        "description": tx["reference"],
        "customer": "cus_load",
        "metadata": {},
        "last_payment_error": None,
        "payment_method": method,
    }


def event(event_id, event_type, stripe_object, created):
    """A Stripe event carrying ``stripe_object``, as a webhook delivers it (signed by the sender)."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2019-05-16",
        "created": created,
        "type": event_type,
        "data": {"object": stripe_object},
        "livemode": False,
    }
