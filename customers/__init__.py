"""Customer profiles, their identities on each channel, and what we learn about them."""
