"""Chapter 08: the sampling explorer."""
