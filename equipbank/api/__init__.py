def init_api(app) -> None:
    pass
