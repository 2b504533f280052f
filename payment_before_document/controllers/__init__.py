from . import portal
from . import how_it_works
from . import signature
from . import stripe_webhook
from . import binary
