from regstudio.cli import main

raise SystemExit(main())
