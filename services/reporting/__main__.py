from shared.service import main

from .app import create_app
from .settings import ReportingSettings

main(ReportingSettings, create_app)
