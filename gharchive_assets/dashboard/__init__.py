"""The interactive dashboard over the marts (``make dashboard``): Streamlit,
reading the chosen target's warehouse through :mod:`.marts`."""
