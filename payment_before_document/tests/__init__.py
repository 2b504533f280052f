from . import test_fake_transport
from . import test_pdf
from . import test_deliverable_release
from . import test_deliverable_access
from . import test_portal_tour
from . import test_copies_and_emails
from . import test_announce
from . import test_i18n
