from impasto.kit.db.database import Database

__all__ = ["Database"]
