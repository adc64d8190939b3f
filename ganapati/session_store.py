"""Login sessions in the database (Django's engine), read together with the write-ahead log's
position on PostgreSQL: a logged-in page served again from the cache (ganapati/privatecache.py)
then costs one query, not two. Nothing else differs from `django.contrib.sessions.backends.db`.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .privatecache import POSITION_SQL


class SessionStore(DatabaseSessionStore):
    # Where the log stood when this request read its login session (None: not read that way).
    database_position: str | None = None

    def _get_session_from_db(self):
        if connection.vendor != "postgresql":
            return super()._get_session_from_db()
        try:
            row = self.model.objects.annotate(_position=RawSQL(POSITION_SQL, [])).get(  # noqa: S611
                session_key=self.session_key, expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            return super()._get_session_from_db()  # its logging and forgetting of the key
        self.database_position = row._position
        return row
