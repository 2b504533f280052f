from . import account_move_deliverable
from . import account_move_deliverable_download
from . import account_move
from . import ir_attachment
from . import mail_mail
from . import res_company
from . import res_config_settings
from . import res_partner
