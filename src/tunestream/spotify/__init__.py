"""What tunestream knows of the Spotify Web API: response models shared by pipeline and tests."""
