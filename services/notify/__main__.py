from shared.service import main

from .app import create_app
from .settings import NotifySettings

main(NotifySettings, create_app)
