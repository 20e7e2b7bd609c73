"""Declarative source specs: the models, and loading one from YAML."""
