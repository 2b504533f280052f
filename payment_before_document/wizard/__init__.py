from . import pbd_access_announce
from . import pbd_followup_call_outcome
from . import pbd_followup_send
from . import pbd_followup_send_line
from . import pbd_signature_phone_wizard
