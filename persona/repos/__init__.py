"""Repositories: one module per aggregate, the only places that hold SQL."""
