"""A laptop swap that loses nothing: the guard and the file (:mod:`.export`), the next
machine set up from it (:mod:`.restore`), and what differs (:mod:`.check`)."""
