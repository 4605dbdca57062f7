"""HQ side: the stores file, the puller, the warehouse, unified identity, reports and config bundles."""
