"""How a child process is started, talks to the parent and ends: the launcher, the start every child shares, the ending's classification, OOM recognition."""
