from shared.service import main

from .app import create_app
from .settings import BookingSettings

main(BookingSettings, create_app)
