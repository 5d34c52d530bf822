"""The reporting API, published under `/api/v1/reports/` (see `API_PREFIX`): managers only."""

#: pos_project/urls.py mounts a context's API at /api/v1/<API_PREFIX>/ (default: the context name)
API_PREFIX = "reports"
