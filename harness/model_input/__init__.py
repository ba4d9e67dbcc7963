"""What a model takes as input: detected from its file, declared by the user, resolved into one record."""
