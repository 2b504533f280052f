from . import res_partner_access_announce
