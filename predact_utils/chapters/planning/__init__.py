"""Chapter 05: planning ahead (hidden-state probes)."""
