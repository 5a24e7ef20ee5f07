from __future__ import annotations

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service = "notify"
    default_port = 8083
