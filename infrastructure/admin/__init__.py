"""Shared admin building blocks (commands.py, history.py) and the back office's site (site.py).

The infrastructure app's own page (projection rebuilds) is registered by `InfrastructureConfig.ready()`,
not on import of this package: the admin imports `infrastructure.admin.site` to build its default
site, and registering from here, half-way through that import, lost the registration."""
