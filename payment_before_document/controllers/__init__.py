from . import portal
from . import how_it_works
