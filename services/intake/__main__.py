from shared.service import main

from .app import create_app
from .settings import IntakeSettings

main(IntakeSettings, create_app)
