"""Pages of docs/ written from the code (flags, metric reference), and the table helper they share."""
