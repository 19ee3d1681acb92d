"""ngsild."""
