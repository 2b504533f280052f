from . import portal
from . import how_it_works
from . import twilio
from . import signature
from . import stripe_webhook
