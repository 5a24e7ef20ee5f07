from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.service import main

main(NotifySettings, create_app)
