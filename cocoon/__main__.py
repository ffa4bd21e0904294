from cocoon.cli import main

raise SystemExit(main())
