# The suite's own tests. Each support module is a small pytest plugin.
pytest_plugins = [
    "pytester",
    "tests.support.checksrun",
]
