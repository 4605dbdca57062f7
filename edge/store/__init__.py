"""Repositories: the only place SQL lives. One writer thread groups commits; readers are per thread."""
