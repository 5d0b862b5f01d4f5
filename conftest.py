# Thin on purpose: everything lives in the gigacheck package.
pytest_plugins = ["gigacheck.plugin"]
