import sys

from fueltui.main import main

sys.exit(main())
