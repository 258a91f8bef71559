"""Projects that live in git: a project given as a git URL (:mod:`.source`), its checkout
cloned or fast-forwarded without touching local work (:mod:`.checkout`), and the work a
checkout holds that no remote has, which a laptop swap would lose (:mod:`.guard`)."""
