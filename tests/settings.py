"""The settings the tests run with: the project's own, with a fast password hasher.

Django 5.2's PBKDF2 spends ~0.2 s of CPU per hash on purpose, and almost every test makes users
and logs them in: the suite spent minutes of its two cores hashing. No test here is about the
hasher's cost; deployments started by tests (tests/helpers/deployment.py) and the settings checks
(tests/security/test_deploy_settings.py) still run `pos_project.settings` as shipped."""

from pos_project.settings import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
