from orderproof.cli import main

raise SystemExit(main())
