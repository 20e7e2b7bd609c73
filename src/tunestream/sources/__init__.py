"""The source specs shipped with tunestream (one YAML file each)."""
