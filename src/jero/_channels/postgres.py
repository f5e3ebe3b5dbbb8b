"""placeholder"""


class PostgresBackend:
    pass
