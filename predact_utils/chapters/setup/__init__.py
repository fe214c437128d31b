"""Chapter 00: the environment report and the Zipf nucleus demo."""
