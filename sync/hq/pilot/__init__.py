"""HQ tools for a pilot or a simulation that make store files on this machine (the rest of HQ uses HTTP)."""
