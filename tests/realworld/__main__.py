import sys

from tests.realworld.corpus import main

sys.exit(main())
