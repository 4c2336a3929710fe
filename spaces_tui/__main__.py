from spaces_tui.cli import main

raise SystemExit(main())
