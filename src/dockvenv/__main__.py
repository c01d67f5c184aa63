from dockvenv.cli import main

raise SystemExit(main())
