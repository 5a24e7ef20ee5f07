from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.service import main

main(IntakeSettings, create_app)
