"""Adopting the bootstrapper in a team's repository: the release that pins it as an
artifact (:mod:`bootstrap.adopt.release`) and the files ``bootstrap init`` writes for
the team to commit (:mod:`bootstrap.adopt.files`)."""
