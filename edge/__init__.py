"""store-edge: the store's membership brain at the till."""

__version__ = "0.1.0"
