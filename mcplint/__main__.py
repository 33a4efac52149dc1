from mcplint.cli import main

raise SystemExit(main())
