from . import res_partner_access_announce
from . import pbd_followup_call_outcome
