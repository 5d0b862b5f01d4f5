# The suite's own tests. Each support module is a small pytest plugin.
pytest_plugins = [
    "pytester",
    "tests.support.browser",
    "tests.support.checksrun",
    "tests.support.fakegiga",
    "tests.support.faultrun",
    "tests.support.mariadb",
    "tests.support.postgres",
]
