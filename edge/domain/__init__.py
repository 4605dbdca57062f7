"""Pure rules over msgspec Structs: stdlib and msgspec only, integer fen, an injected clock."""
