from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.service import main

main(ReportingSettings, create_app)
